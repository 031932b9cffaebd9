// First: it takes the consultation link's secret out of the address before anything reads the address.
import { consultationLinkToken } from './consultation-link.ts';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { DEFAULT_TIME_ZONE, visitorRoutes, type CheckInStep, type QueuePlace, type RoomInfo, type VisitState } from '../../signaling/protocol/index.ts';
import { callRoute } from './http/call-route.ts';
import { CallEngine, preloadDevice } from './call-engine/call-engine.ts';
import { LocalMedia } from './call-engine/local-media.ts';
import { request } from './call-engine/request.ts';
import { renderWhenReady } from './call-engine/render-hold.ts';
import { prepareRemoteVideos } from './call/remote-video.ts';
import { mark } from './call-engine/marks.ts';
import { CallView } from './call/CallView.tsx';
import { DeviceCheck } from './check/DeviceCheck.tsx';
import { NetworkCheck } from './check/NetworkCheck.tsx';
import { CheckSummary, deviceCheckReport } from './check/CheckSummary.tsx';
import { browserCanJoin } from './check/browser-support.ts';
import type { NetworkCheckRun } from './check/network-check.ts';
import { recentNetworkCheck } from './check/recent-network-check.ts';
import { savedDevicePreference } from './check/DevicePicker.tsx';
import { CheckInForm } from './check-in/CheckInForm.tsx';
import { CheckInSteps } from './check-in/CheckInSteps.tsx';
import { CancelAppointment } from './check-in/CancelAppointment.tsx';
import { Receipt } from './payment/Receipt.tsx';
import { bankIdOutcomeInLink } from './bankid/BankIdStep.tsx';
import { LanguageSwitch } from './i18n/LanguageSwitch.tsx';
import { useLanguage } from './i18n/i18n.ts';
import { appointmentAt, i18n, t } from './strings.ts';
import { connectVisitor, visitToken, type VisitorSocket } from './visit-session.ts';
import { WaitingScreen } from './waiting/WaitingScreen.tsx';
import { useWaitingMessages, visitorKeysName } from './waiting/use-waiting-messages.ts';
import { forgetDeviceKeys } from './call-engine/e2ee/device-keys.ts';
import { useEmbedProgress, type EmbedStage } from './embed/use-embed-progress.ts';

type Screen =
  | { kind: 'loading' }
  | { kind: 'invalid'; tooMany: boolean }
  /** A consultation's link someone else is checked in with, or whose consultation is over. */
  | { kind: 'link-closed'; linkState: 'in_use' | 'ended' | 'cancelled'; cancelledBy?: 'visitor' | 'clinic' | 'just-now' }
  | { kind: 'unsupported' }
  | { kind: 'check' }
  | { kind: 'check-in' }
  | { kind: 'steps'; steps: CheckInStep[] }
  /** `joining`: admitted, the call's join under way; the call screen follows once its media is set up. */
  | { kind: 'waiting'; arrivedAt: number; place: QueuePlace | null; movedTo?: string; sentBack?: boolean; joining?: CallEngine }
  | { kind: 'call'; engine: CallEngine }
  | { kind: 'ended'; left: boolean; lostPlace?: boolean; denied?: { message?: string }; cancelled?: boolean; receiptToken?: string };

/** `/r/<room>` (a room's link) or `/c/<org>.<consultation>` (a scheduled consultation's private link, its secret in consultationLinkToken). */
const [, linkKind, linkValue] = location.pathname.split('/');
/** A path with broken percent-encoding (`/r/%`) is no link we gave out: it shows "this link is not valid". */
const linkMalformed = decodedOrNull(location.pathname) === null;
const slug = decodedOrNull(linkValue ?? '') ?? '';
const consultationLink = linkKind === 'c';
/** How the trip to the BankID broker went, if the visitor just came back from it (read once). */
const bankIdOutcome = bankIdOutcomeInLink();

export function VisitorApp() {
  useLanguage(i18n);
  const [room, setRoom] = useState<RoomInfo | null>(null);
  // (for callbacks made once, which must not change when the room's details arrive)
  const roomRef = useRef<RoomInfo | null>(null);
  roomRef.current = room;
  const [screen, setScreen] = useState<Screen>({ kind: 'loading' });
  const [media, setMedia] = useState<LocalMedia | null>(null);
  const [online, setOnline] = useState(true);
  const socketRef = useRef<VisitorSocket | null>(null);
  const [socket, setSocket] = useState<VisitorSocket | null>(null);
  const [visitorId, setVisitorId] = useState<string | null>(null);
  // A check made a little earlier in this browser (on /check, or before a reload) counts until this one finishes.
  const [networkRun, setNetworkRun] = useState<NetworkCheckRun | null>(() => recentNetworkCheck.get());
  const networkChecked = useCallback((run: NetworkCheckRun | null) => {
    if (!run) return;
    recentNetworkCheck.save(run);
    setNetworkRun(run);
  }, []);
  const messages = useWaitingMessages(socket, visitorId, screen.kind === 'waiting');
  // Inside an EHR's iframe: the EHR page hears how the visit goes, and may hang up the call.
  const stage: EmbedStage = screen.kind === 'loading' || screen.kind === 'invalid' || screen.kind === 'waiting' || screen.kind === 'call' || screen.kind === 'ended' ? screen.kind : 'before';
  useEmbedProgress('visitor', stage, screen.kind === 'call' ? () => void screen.engine.hangUp() : undefined);

  const endVisit = useCallback((left: boolean, lostPlace = false, denied?: { message?: string }, cancelled = false) => {
    // The token goes from the browser's storage now; the ended page keeps it in memory for the receipt.
    const receiptToken = roomRef.current?.price ? (visitToken.get(slug) ?? undefined) : undefined;
    visitToken.clear(slug);
    socketRef.current?.disconnect();
    socketRef.current = null;
    setSocket(null);
    // The visit is over: this browser's key for its messages goes (what was sealed for it can no longer be read here).
    setVisitorId((id) => {
      if (id) void forgetDeviceKeys(visitorKeysName(id));
      return null;
    });
    setMedia((m) => {
      m?.stop();
      return null;
    });
    setScreen({ kind: 'ended', left, lostPlace, denied, cancelled, receiptToken });
  }, []);

  const startCall = useCallback((socket: VisitorSocket, callId: string, localMedia: LocalMedia) => {
    let started: CallEngine | undefined;
    setScreen((current) => {
      const existing = current.kind === 'call' ? current.engine : current.kind === 'waiting' ? current.joining : undefined;
      if (existing?.callId === callId) return current;
      const engine = new CallEngine(socket, callId, localMedia);
      engine.subscribe((s) => {
        if (s.status === 'ended') endVisit(false);
      });
      void engine.start().catch(() => undefined);
      if (current.kind !== 'waiting') return { kind: 'call', engine };
      // From the waiting room, the waiting screen stays while the join is answered and the incoming media
      // set up (a fraction of a second): rendering the call first would hold up the join's answer on a
      // slow phone (bench:admit). At most half a second, whatever happens to the join.
      started = engine;
      return { ...current, joining: engine };
    });
    const engine = started;
    if (!engine) return;
    // The professional's video plays in its element meanwhile, ready for the call screen's first paint.
    prepareRemoteVideos(engine);
    void renderWhenReady(engine.receiving, 500).then(() => {
      mark('call-screen-released');
      setScreen((current) => (current.kind === 'waiting' && current.joining === engine ? { kind: 'call', engine } : current));
    });
  }, [endVisit]);

  /** Connects with the stored token and follows the visit wherever it is (waiting, in a call, over). */
  const follow = useCallback((token: string, localMedia: LocalMedia) => {
    const socket = connectVisitor(token);
    socketRef.current = socket;
    setSocket(socket);
    // The token is <organization>.<visitor>.<secret>: the visitor's id names this browser's message key.
    setVisitorId(token.split('.')[1] ?? null);
    const apply = (visit: VisitState) => {
      if (visit.state === 'ended') {
        return endVisit(false, visit.reason === 'connection_lost', visit.reason === 'denied' ? { message: visit.message } : undefined, visit.reason === 'cancelled');
      }
      if (visit.state === 'checking_in') return setScreen({ kind: 'steps', steps: visit.steps });
      if (visit.state === 'waiting') {
        setScreen((s) => (s.kind === 'call' ? s : { kind: 'waiting', arrivedAt: visit.arrivedAt, place: visit.place, ...(s.kind === 'waiting' && s.joining ? { joining: s.joining } : {}) }));
        void preloadDevice().catch(() => undefined);
      } else startCall(socket, visit.callId, localMedia);
    };
    socket.on('connect', () => {
      setOnline(true);
      void request(socket, 'visit:status', {}).then(({ visit }) => apply(visit), () => undefined);
    });
    socket.on('disconnect', (reason) => {
      setOnline(false);
      // Closed by the server (the visit erased, the organization closed): Socket.IO does not come back by
      // itself then; trying once more finds out why (an unknown token says so, and the page starts over).
      if (reason === 'io server disconnect') socket.connect();
    });
    socket.on('connect_error', (err) => {
      // The token is no longer valid (visit over, data deleted): start again from the form.
      if (err.message === 'not_found') {
        visitToken.clear(slug);
        socket.disconnect();
        setScreen({ kind: 'check-in' });
      }
    });
    socket.on('visit:place', (place) => setScreen((s) => (s.kind === 'waiting' ? { ...s, place } : s)));
    socket.on('visit:denied', ({ message }) => endVisit(false, false, { message }));
    socket.on('visit:cancelled', () => endVisit(false, false, undefined, true));
    // Sent back to the waiting room from the call: this browser's side of the call closes (its keys with it).
    socket.on('visit:sent-back', ({ callId, place }) =>
      setScreen((s) => {
        if (s.kind === 'call' && s.engine.callId === callId) s.engine.close();
        if (s.kind === 'waiting' && s.joining?.callId === callId) s.joining.close();
        return { kind: 'waiting', arrivedAt: Date.now(), place, movedTo: undefined, sentBack: true };
      }),
    );
    socket.on('visit:moved', ({ roomName, professionalName, place }) => {
      setRoom((r) => (r ? { ...r, name: roomName, professionalName } : r));
      setScreen((s) => (s.kind === 'waiting' ? { ...s, place, movedTo: roomName } : s));
    });
    socket.on('visit:admitted', ({ callId }) => {
      mark('admitted');
      startCall(socket, callId, localMedia);
    });
  }, [endVisit, startCall]);

  useEffect(() => {
    let cancelled = false;
    (async () => {
      if (linkMalformed) return setScreen({ kind: 'invalid', tooMany: false });
      if (consultationLink && !consultationLinkToken) return setScreen({ kind: 'invalid', tooMany: false });
      const res = consultationLink
        ? await callRoute(visitorRoutes.consultationLink, { body: { token: consultationLinkToken! } })
        : await callRoute(visitorRoutes.room, { params: { slug } });
      if (!res.ok) return setScreen({ kind: 'invalid', tooMany: res.status === 429 });
      const info = res.data;
      if (cancelled) return;
      setRoom(info);
      document.title = `${info.name} · ${t('app.title')}`;
      const token = visitToken.get(slug);
      // One visitor per consultation link: without this browser's own visit, a link in use or over checks
      // no one in (said before the camera is asked for).
      if (!token && info.linkState && info.linkState !== 'open') return setScreen({ kind: 'link-closed', linkState: info.linkState, cancelledBy: info.cancelledBy });
      // Every call is end-to-end encrypted; a browser that cannot encrypt frames cannot take part.
      if (!browserCanJoin()) return setScreen({ kind: 'unsupported' });
      const localMedia = await LocalMedia.open(savedDevicePreference());
      if (cancelled) return localMedia.stop();
      setMedia(localMedia);
      if (token) follow(token, localMedia);
      else setScreen({ kind: 'check' });
    })().catch(() => setScreen({ kind: 'invalid', tooMany: false }));
    return () => {
      cancelled = true;
      socketRef.current?.disconnect();
    };
  }, [follow]);

  // A consultation's visitor may cancel it from their link until they enter the line (once waiting, they leave instead).
  const cancelAppointment = consultationLink && consultationLinkToken && (
    <CancelAppointment
      token={consultationLinkToken}
      onCancelled={({ alreadyCancelled, cancelledBy }) => {
        setMedia((m) => {
          m?.stop();
          return null;
        });
        setScreen({ kind: 'link-closed', linkState: 'cancelled', cancelledBy: alreadyCancelled ? cancelledBy : 'just-now' });
      }}
    />
  );

  const leave = async () => {
    const socket = socketRef.current;
    if (socket) await request(socket, 'visit:leave', {}).catch(() => undefined);
    endVisit(true);
  };

  return (
    <div class="page">
      <header class="topbar">
        <span class="brand">{room?.name ?? t('app.title')}</span>
        <LanguageSwitch i18n={i18n} label={t('app.language')} />
      </header>
      <main>
        {screen.kind === 'loading' && <p role="status">{t('link.loading')}</p>}
        {screen.kind === 'invalid' && (
          <section>
            <h1>{screen.tooMany ? t('link.tooMany') : t('link.invalid')}</h1>
            {!screen.tooMany && <p>{t('link.invalidHelp')}</p>}
          </section>
        )}
        {screen.kind === 'link-closed' && screen.linkState === 'cancelled' && screen.cancelledBy === 'just-now' && (
          <section>
            <h1>{t('cancel.done')}</h1>
            <p>{t('cancel.doneBody')}</p>
          </section>
        )}
        {screen.kind === 'link-closed' && screen.linkState === 'cancelled' && screen.cancelledBy === 'visitor' && (
          <section>
            <h1>{t('cancel.already')}</h1>
            <p>{t('cancel.alreadyBody')}</p>
          </section>
        )}
        {screen.kind === 'link-closed' && (screen.linkState !== 'cancelled' || screen.cancelledBy === undefined || screen.cancelledBy === 'clinic') && (
          <section>
            <h1>{screen.linkState === 'in_use' ? t('link.inUse') : screen.linkState === 'cancelled' ? t('ended.cancelled') : t('link.ended')}</h1>
            <p>{screen.linkState === 'in_use' ? t('link.inUseHelp') : screen.linkState === 'cancelled' ? t('ended.cancelledBody') : t('link.endedHelp')}</p>
          </section>
        )}
        {screen.kind === 'unsupported' && (
          <section>
            <h1>{t('app.unsupportedHeading')}</h1>
            <p role="alert">{t('e2ee.unsupported')}</p>
          </section>
        )}
        {screen.kind === 'check' && room && media && (
          <section aria-labelledby="check-heading">
            <h1 id="check-heading">{t('checkin.heading', { name: room.professionalName })}</h1>
            <p>{t('check.intro')}</p>
            <DeviceCheck media={media} t={t} />
            <NetworkCheck t={t} onResult={networkChecked} />
            <CheckSummary media={media} t={t} shared />
            <div class="next-step">
              <button type="button" onClick={() => setScreen({ kind: 'check-in' })}>
                {t('check.continue')}
              </button>
            </div>
            {cancelAppointment}
          </section>
        )}
        {screen.kind === 'check-in' && room && media && (
          <section aria-labelledby="checkin-heading">
            <h1 id="checkin-heading">{t('checkin.heading', { name: room.professionalName })}</h1>
            {room.appointmentAt && <p class="lead">{t('checkin.appointment', { time: appointmentAt(room.appointmentAt, room.timeZone) })}</p>}
            <CheckInForm
              link={consultationLink ? { consultation: consultationLinkToken ?? '' } : { roomSlug: slug }}
              professionalName={room.professionalName}
              config={room.checkIn}
              prefill={room.prefill}
              deviceCheck={deviceCheckReport(media, networkRun?.checkId)}
              privacyPage={room.privacyPage}
              onLinkClosed={(linkState) => {
                // Taken or over while the form was open: the camera goes, as on opening such a link.
                setMedia((m) => {
                  m?.stop();
                  return null;
                });
                setScreen({ kind: 'link-closed', linkState });
              }}
              onCheckedIn={({ visitorToken, steps }) => {
                visitToken.set(slug, visitorToken);
                setScreen(steps.length ? { kind: 'steps', steps } : { kind: 'waiting', arrivedAt: Date.now(), place: null });
                follow(visitorToken, media);
              }}
            />
            {cancelAppointment}
          </section>
        )}
        {screen.kind === 'steps' && room && (
          <CheckInSteps
            steps={screen.steps}
            socket={socket}
            visitorToken={visitToken.get(slug) ?? ''}
            returnTo={location.pathname}
            privacyPage={room.privacyPage}
            hostName={room.professionalName}
            bankIdOutcome={bankIdOutcome}
            onStepDone={(steps) => setScreen({ kind: 'steps', steps })}
            onVisit={(visit) => {
              if (visit.state === 'waiting') setScreen({ kind: 'waiting', arrivedAt: visit.arrivedAt, place: visit.place });
              else if (visit.state === 'checking_in') setScreen({ kind: 'steps', steps: visit.steps });
              else if (visit.state === 'ended') endVisit(false);
            }}
          />
        )}
        {screen.kind === 'waiting' && room && media && (
          <WaitingScreen
            professionalName={room.professionalName}
            arrivedAt={screen.arrivedAt}
            place={screen.place}
            movedTo={screen.movedTo}
            sentBack={screen.sentBack}
            appointmentAt={room.appointmentAt}
            timeZone={room.timeZone}
            online={online}
            media={media}
            messages={messages.messages}
            onSendMessage={messages.send}
            privacyPage={room.privacyPage}
            onLeave={() => void leave()}
          />
        )}
        {screen.kind === 'call' && media && <CallView engine={screen.engine} media={media} t={t} />}
        {screen.kind === 'ended' && (
          <section>
            <h1>{screen.cancelled ? t('ended.cancelled') : screen.denied ? t('ended.denied') : screen.lostPlace ? t('ended.lostPlace') : screen.left ? t('ended.left') : t('ended.heading')}</h1>
            {screen.denied?.message && (
              <blockquote class="professional-message" aria-label={t('ended.deniedMessage')}>
                {screen.denied.message}
              </blockquote>
            )}
            <p>{screen.cancelled ? t('ended.cancelledBody') : screen.lostPlace ? t('ended.lostPlaceBody') : t('ended.body')}</p>
            {screen.receiptToken && <Receipt visitorToken={screen.receiptToken} timeZone={room?.timeZone ?? DEFAULT_TIME_ZONE} />}
            {/* A consultation's link checks in no one once its call is over (or it was turned away): no "again" then. */}
            {!screen.cancelled && !(consultationLink && !screen.left && !screen.lostPlace) && (
              <button type="button" onClick={() => location.reload()}>
                {t('ended.again')}
              </button>
            )}
          </section>
        )}
      </main>
    </div>
  );
}

function decodedOrNull(part: string): string | null {
  try {
    return decodeURIComponent(part);
  } catch {
    return null;
  }
}
