import { parseArgs } from 'node:util';

/**
 * A benchmark's command line: its sizes, each with the value of a real run and of a smoke run, and its
 * switches. `--smoke` takes every size from the smoke column: one or two iterations, small counts, so the
 * suite (infra/bench/benchmarks.smoke.test.ts) runs the benchmark's own code end to end and a benchmark
 * that breaks fails `npm test`. A size named on the command line wins over either column.
 *
 * `texts`: options that take a word (a file's path, say), undefined when not given.
 *
 *   const { size, flag, smoke } = benchArgs({ calls: [25, 1] }, ['relay']);
 */
export function benchArgs<S extends string, F extends string = never, T extends string = never>(
  sizes: Record<S, readonly [real: number, smoke: number]>,
  switches: readonly F[] = [],
  texts: readonly T[] = [],
): { smoke: boolean; size: Record<S, number>; flag: Record<F, boolean>; text: Record<T, string | undefined> } {
  const options: Record<string, { type: 'string' | 'boolean' }> = { smoke: { type: 'boolean' } };
  for (const name of Object.keys(sizes)) options[name] = { type: 'string' };
  for (const name of switches) options[name] = { type: 'boolean' };
  for (const name of texts) options[name] = { type: 'string' };
  const { values } = parseArgs({ options, strict: true });
  const smoke = values.smoke === true;
  const size = {} as Record<S, number>;
  for (const [name, [real, small]] of Object.entries(sizes) as [S, readonly [number, number]][]) {
    const given = values[name];
    const value = typeof given === 'string' ? Number(given) : smoke ? small : real;
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} ${String(given)}: not a number of zero or more`);
    size[name] = value;
  }
  const flag = {} as Record<F, boolean>;
  for (const name of switches) flag[name] = values[name] === true;
  const text = {} as Record<T, string | undefined>;
  for (const name of texts) text[name] = typeof values[name] === 'string' ? values[name] : undefined;
  if (smoke) process.stderr.write('smoke run (--smoke): checks that the benchmark runs; its figures measure nothing\n');
  return { smoke, size, flag, text };
}
