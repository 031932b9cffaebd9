/**
 * Named moments of joining a call, as User Timing marks (`consult:<name>`): free when nobody reads them,
 * and `npm run bench:admit` reads them to say where the time from Admit to the first frame goes.
 */
export function mark(name: string): void {
  performance.mark(`consult:${name}`);
}
