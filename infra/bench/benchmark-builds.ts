/**
 * The front-ends a benchmark's servers serve: the benchmark build (infra/bench.sh builds it and exports
 * CLIENT_DIST / DASHBOARD_DIST), the only build that takes part in a call unencrypted when the server
 * says so. The product build refuses such a call, so the "without encryption" side would measure nothing.
 */
export function benchmarkBuilds(): { CLIENT_DIST: string; DASHBOARD_DIST: string } {
  const { CLIENT_DIST, DASHBOARD_DIST } = process.env;
  if (!CLIENT_DIST?.endsWith('dist-benchmark') || !DASHBOARD_DIST?.endsWith('dist-benchmark')) {
    throw new Error('run benchmarks through infra/bench.sh (npm run bench:<name>): it builds and names the benchmark front-ends');
  }
  return { CLIENT_DIST, DASHBOARD_DIST };
}
