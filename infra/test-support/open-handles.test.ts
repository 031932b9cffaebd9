import { execFile } from 'node:child_process';
import { expect } from 'chai';

/*
 * The suite runs without mocha's --exit: a run that leaves something open must still end, fail, and name
 * what it left, after its usual closing line.
 */
describe('a test run that leaves a handle open (real mocha, with .mocharc.json)', function () {
  this.timeout(60_000);

  it('ends, fails with exit code 1, and names the listening server and where the timer was made', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile('npx', ['mocha', 'infra/test-support/fixtures/leaky-suite.ts'], { timeout: 50_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
      );
      child.stdin?.end();
    });
    expect(stdout).to.match(/^1 passed, 0 failed$/m);
    expect(code, stderr).to.equal(1);
    expect(stderr).to.include('the run left 2 thing(s) open after the last test');
    expect(stderr).to.match(/a listening server \(127\.0\.0\.1:\d+\)/);
    expect(stderr).to.match(/a timer made at\n\s+at .*leaky-suite\.ts:7:5/);
  });
});
