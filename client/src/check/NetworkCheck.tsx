import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { NetworkCheckResult } from '../../../signaling/protocol/index.ts';
import { RequestError } from '../call-engine/request.ts';
import type { Translate } from '../call/call-strings.ts';
import { runNetworkCheck, type NetworkCheckRun } from './network-check.ts';

type State = { kind: 'testing'; progress: number } | { kind: 'done'; result: NetworkCheckResult; path: NetworkCheckRun['path'] } | { kind: 'failed'; rateLimited: boolean };

/** Runs the network test as soon as it shows; the rating comes with a tip in plain words and the figures. */
export function NetworkCheck({ t, onResult }: { t: Translate; onResult?: (run: NetworkCheckRun | null) => void }) {
  const [state, setState] = useState<State>({ kind: 'testing', progress: 0 });
  const running = useRef<AbortController | null>(null);
  const run = useCallback(() => {
    running.current?.abort();
    const controller = new AbortController();
    running.current = controller;
    setState({ kind: 'testing', progress: 0 });
    runNetworkCheck((progress) => setState({ kind: 'testing', progress }), controller.signal).then(
      (done) => {
        setState({ kind: 'done', result: done.result, path: done.path });
        onResult?.(done);
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setState({ kind: 'failed', rateLimited: error instanceof RequestError && error.code === 'rate_limited' });
        onResult?.(null);
      },
    );
  }, [onResult]);
  useEffect(() => {
    run();
    // Gone from the screen (on to the form): a test still running stops; it would only compete with what comes next.
    return () => running.current?.abort();
  }, []);

  return (
    <section class="network-check" aria-labelledby="network-heading" aria-live="polite">
      <h2 id="network-heading">{t('network.heading')}</h2>
      {state.kind === 'testing' && (
        <p role="status">
          {t('network.testing')} <progress max={1} value={state.progress} />
        </p>
      )}
      {state.kind === 'done' && (
        <>
          <p class={`network-rating ${state.result.rating}`} data-rating={state.result.rating}>
            <strong>{t(`network.rating.${state.result.rating}`)}</strong>
          </p>
          <p>{t(state.result.limitedBy ? `network.tip.${state.result.limitedBy}` : 'network.tip.good')}</p>
          <p class="figures">
            {t('network.figures', {
              rtt: state.result.rttMs === null ? t('network.noRtt') : `${state.result.rttMs} ms`,
              loss: state.result.lossPercent.toFixed(1),
              kbps: state.result.bitrateKbps,
            })}
          </p>
          {state.path && (
            <p class="network-path" data-path={state.path}>
              {t(`network.path.${state.path}`)}
            </p>
          )}
        </>
      )}
      {state.kind === 'failed' && (
        <p class="notice" role="alert">
          {t(state.rateLimited ? 'network.rateLimited' : 'network.failed')}
        </p>
      )}
      {state.kind !== 'testing' && (
        <button type="button" class="secondary" onClick={run}>
          {t('network.again')}
        </button>
      )}
    </section>
  );
}
