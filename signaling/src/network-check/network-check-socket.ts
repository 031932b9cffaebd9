import type { Namespace, Socket } from 'socket.io';
import type { types } from 'mediasoup';
import { NETWORK_CHECK_MAX_SECONDS, networkCheckEvents, rateConnection, type NetworkCheckResult, type TransportInfo } from '../../protocol/index.ts';
import type { LoopbackTest } from '../../../sfu/src/index.ts';
import { AppError } from '../errors.ts';
import { newId } from '../ids.ts';
import { bindEvents } from '../socket/bind-events.ts';
import type { Services } from '../services.ts';
import { clientAddressResolver } from '../http/client-address.ts';
import { iceServersFor } from '../turn/turn-credentials.ts';

/**
 * The network check's namespace: anyone may open it (the /check page needs no link), so each address gets
 * a few tests an hour and the server runs a bounded number at once. A socket runs one test; it ends at
 * `check:finish`, at disconnect, or after NETWORK_CHECK_MAX_SECONDS.
 */
export function attachNetworkCheckNamespace(nsp: Namespace, s: Pick<Services, 'config' | 'log' | 'media' | 'networkChecks' | 'rateLimiter'>): void {
  const addressOf = clientAddressResolver(s.config.trustProxy);

  nsp.on('connection', (socket: Socket) => {
    let test: LoopbackTest | undefined;
    let checkId: string | undefined;
    /** Set before the first await of check:start, so starts sent at once from this socket make one test. */
    let starting = false;
    const running = () => {
      if (!test || test.isClosed) throw new AppError('not_found', 'no network test is running; start one');
      return test;
    };

    bindEvents(
      socket,
      networkCheckEvents,
      {
        'check:start': async ({ rtpCapabilities }) => {
          if (test || starting) throw new AppError('bad_request', 'this connection already ran its network test');
          starting = true;
          let started: LoopbackTest | null;
          try {
            const allowed = await s.rateLimiter.allow('network-check', { address: addressOf(socket.request) }, s.config.NETWORK_CHECK_LIMIT_PER_HOUR, 3_600_000);
            if (!allowed) throw new AppError('rate_limited', 'too many network tests from this address; try again later');
            started = await s.media.startLoopbackTest(rtpCapabilities, NETWORK_CHECK_MAX_SECONDS * 1000, s.config.NETWORK_CHECK_MAX_CONCURRENT);
            if (!started) throw new AppError('rate_limited', 'too many network tests are running; try again in a minute');
          } finally {
            starting = false;
          }
          test = started;
          // Gone while it was being set up: nobody will finish it.
          if (socket.disconnected) test.close();
          checkId = newId();
          const { sendTransport, recvTransport } = test.transports;
          const ice = iceServersFor(s.config.turn);
          return {
            checkId,
            sendTransport: { ...sendTransport, ...ice },
            recvTransport: { ...recvTransport, ...ice },
          };
        },
        'check:connect-transport': async ({ transportId, dtlsParameters }) => {
          await running().connectTransport(transportId, dtlsParameters);
          return {};
        },
        'check:produce': async ({ transportId, kind, rtpParameters }) => {
          const back = await running().produce(transportId, kind, rtpParameters);
          return back;
        },
        'check:resume': async ({ consumerId }) => {
          await running().resume(consumerId);
          return {};
        },
        'check:finish': async () => {
          if (running().trackCount === 0) throw new AppError('bad_request', 'nothing was sent to measure');
          const figures = await running().figures();
          test!.close();
          const result: NetworkCheckResult = { ...figures, ...rateConnection(figures), measuredAt: Date.now() };
          await s.networkChecks.save(checkId!, result);
          s.log.info({ rating: result.rating, rttMs: result.rttMs, lossPercent: result.lossPercent, bitrateKbps: result.bitrateKbps }, 'network check finished');
          return { result };
        },
      },
      s.log,
    );
    socket.on('disconnect', () => test?.close());
  });
}
