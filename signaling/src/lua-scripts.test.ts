import { expect } from 'chai';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ServerProcess } from '../../infra/e2e/server-process.ts';
import { EVERY_SCRIPT, loadEveryScript } from './lua-scripts.ts';
import { connectRedis } from './redis/connection.ts';
import { declaredScripts, defineScript, strings } from './redis/lua-script.ts';
import { startRedis, type TestRedis } from './test-support/redis-server.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Every source file (tests and test support aside) that declares a Lua script. */
function filesDeclaringScripts(dir = here): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'test-support' ? [] : filesDeclaringScripts(file);
    if (!entry.name.endsWith('.ts') || entry.name.endsWith('.test.ts') || entry.name === 'lua-script.ts') return [];
    return /\bdefineScript\(/.test(fs.readFileSync(file, 'utf8')) ? [file] : [];
  });
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('it did not fail');
}

describe('Lua scripts (a real Redis)', function () {
  this.timeout(90_000);
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  it('every script is in the list the server loads at start, and Redis compiles each', async () => {
    const files = filesDeclaringScripts();
    expect(files).not.to.be.empty;
    for (const file of files) await import(pathToFileURL(file).href);
    const listed = new Set(EVERY_SCRIPT.map((s) => s.name));
    const missing = declaredScripts().filter((s) => !listed.has(s.name) && !s.name.startsWith('test'));
    expect(missing.map((s) => s.name), 'declared but not in EVERY_SCRIPT (lua-scripts.ts)').to.be.empty;
    expect(listed.size, 'each declared once').to.equal(EVERY_SCRIPT.length);

    const connection = connectRedis(redis.url);
    try {
      await loadEveryScript(connection);
      const loaded = await connection.script('EXISTS', ...EVERY_SCRIPT.map((s) => createHash('sha1').update(s.lua).digest('hex')));
      expect(loaded).to.deep.equal(EVERY_SCRIPT.map(() => 1));
    } finally {
      connection.disconnect();
    }
  });

  it('puts named keys and arguments in their places, optional ones and lists included', async () => {
    const echo = defineScript({
      name: 'testEcho',
      keys: ['first', 'second', 'third?'],
      args: ['one', '...rest'],
      lua: (k, a) => `
local out = { ${k.first}, ${k.second}, ${k.third} or '-', ${a.one} }
for i = ${a.rest}, #ARGV do table.insert(out, ARGV[i]) end
return out
`,
      parse: strings,
    });
    const connection = connectRedis(redis.url);
    try {
      expect(await echo.run(connection, { keys: { second: 'b', first: 'a' }, args: { one: 1, rest: ['x', 'y'] } })).to.deep.equal(['a', 'b', '-', '1', 'x', 'y']);
      expect(await echo.run(connection, { keys: { first: 'a', second: 'b', third: 'c' }, args: { one: 'o', rest: [] } })).to.deep.equal(['a', 'b', 'c', 'o']);
      // A required name left out is the caller's mistake, said before anything reaches Redis.
      expect(await rejection(echo.run(connection, { keys: { first: 'a' } as never, args: { one: 1, rest: [] } }))).to.match(/keys\.second is missing/);
      // An answer the declaration does not expect is an error naming no content.
      const odd = defineScript({ name: 'testOddAnswer', keys: [], args: [], lua: () => `return 7`, parse: strings });
      expect(await rejection(odd.run(connection, {}))).to.match(/unexpected script reply \(number\)/);
    } finally {
      connection.disconnect();
    }
  });

  it('a script Redis cannot compile stops the server before it listens, naming the script', async () => {
    const broken = path.join(here, 'test-support', 'broken-script.ts');
    let failure = '';
    try {
      const server = await ServerProcess.start(redis.url, { NODE_OPTIONS: `--import tsx --import ${pathToFileURL(broken).href}` });
      await server.stop();
    } catch (error) {
      failure = (error as Error).message;
    }
    expect(failure).to.match(/^server exited \(1\)/);
    expect(failure).to.include('the Redis script brokenOnPurpose does not load');
    expect(failure).not.to.include('listening');
  });
});
