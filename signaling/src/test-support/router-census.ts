import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';

export interface RouterCensus {
  /** Routers open now on the workers started since the census began. */
  readonly open: number;
  /** The most that were open at once since the census began (or since resetPeak). */
  readonly peak: number;
  resetPeak(): void;
  stop(): void;
}

/**
 * Counts mediasoup routers as the workers themselves report them (worker 'newrouter', router 'close'), so a
 * router our own bookkeeping lost track of is counted too. Start it before the server whose workers it
 * should watch.
 */
export function routerCensus(): RouterCensus {
  const open = new Set<types.Router>();
  let peak = 0;
  const onRouter = (router: types.Router) => {
    open.add(router);
    peak = Math.max(peak, open.size);
    router.observer.once('close', () => open.delete(router));
  };
  const onWorker = (worker: types.Worker) => worker.observer.on('newrouter', onRouter);
  mediasoup.observer.on('newworker', onWorker);
  return {
    get open() {
      return open.size;
    },
    get peak() {
      return peak;
    },
    resetPeak() {
      peak = open.size;
    },
    stop() {
      mediasoup.observer.off('newworker', onWorker);
    },
  };
}
