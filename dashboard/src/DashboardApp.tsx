import { VisitorData } from './admin/VisitorData.tsx';
import { useEffect, useRef, useState } from 'preact/hooks';
import { memberRoutes, type Me, type WaitingVisitor } from '../../signaling/protocol/index.ts';
import { CallEngine, preloadDevice } from '../../client/src/call-engine/call-engine.ts';
import { LocalMedia } from '../../client/src/call-engine/local-media.ts';
import { request } from '../../client/src/call-engine/request.ts';
import { mark } from '../../client/src/call-engine/marks.ts';
import { renderWhenReady } from '../../client/src/call-engine/render-hold.ts';
import { prepareRemoteVideos } from '../../client/src/call/remote-video.ts';
import { savedDevicePreference } from '../../client/src/check/DevicePicker.tsx';
import { LanguageSwitch } from '../../client/src/i18n/LanguageSwitch.tsx';
import { useLanguage } from '../../client/src/i18n/i18n.ts';
import { ApiError, fetchRoute } from './api.ts';
import { ProfessionalCall } from './call/ProfessionalCall.tsx';
import { useReadyCall } from './call/use-ready-call.ts';
import { useCallInvitations } from './call/use-call-invitations.ts';
import { InvitationAccept } from './account/InvitationAccept.tsx';
import { PasswordChange } from './account/PasswordChange.tsx';
import { SecondFactorCheck, SecondFactorSetup } from './account/SecondFactor.tsx';
import { OrganizationAdmin } from './admin/OrganizationAdmin.tsx';
import { AuditLogPage } from './audit/AuditLogPage.tsx';
import { SmsSettings } from './settings/SmsSettings.tsx';
import { EmailSettings } from './settings/EmailSettings.tsx';
import { BankIdLink } from './account/BankIdLink.tsx';
import { HistoryList } from './history/HistoryList.tsx';
import { LoginForm } from './login/LoginForm.tsx';
import { connectProfessional, type ProfessionalSocket } from './pro-socket.ts';
import { WaitingList } from './queue/WaitingList.tsx';
import { AlertSettings } from './queue/AlertSettings.tsx';
import { ScheduleConsultation } from './queue/ScheduleConsultation.tsx';
import { UpcomingConsultations } from './queue/UpcomingConsultations.tsx';
import { AccessCodes } from './queue/AccessCodes.tsx';
import { useWaitingRoom } from './queue/use-waiting-room.ts';
import { useMessages } from './queue/use-messages.ts';
import { useArrivalAlerts, useArrivalSound, useNotificationPermission, useTitleCount } from './queue/arrival-alerts.ts';
import { canEncryptFrames } from '../../client/src/call-engine/frame-pipe.ts';
import { SelfPreview } from './queue/SelfPreview.tsx';
import { i18n, setOrganizationTimeZone, t } from './strings.ts';

type View = 'queue' | 'history' | 'organization' | 'settings' | 'audit' | 'visitors';

/** An arrival SMS links to `#open=<signed token>`: the dashboard opens on that visitor after login. */
function alertLinkInLink(): string | null {
  const m = /^#open=([0-9a-f]{32}\.\d{1,12}\.[A-Za-z0-9_-]{43})$/.exec(location.hash);
  return m ? m[1]! : null;
}

/** An invitation link carries its secret in the fragment (never sent to a server): `#invitation=<token>`. */
function invitationInLink(): string | null {
  const m = /^#invitation=([0-9a-f]{32}\.[A-Za-z0-9_-]{43})$/.exec(location.hash);
  return m ? m[1]! : null;
}

/** Preview media that an admission took over: the call stops it, not the preview's cleanup. */
const handedOver = new WeakSet<LocalMedia>();
/** How long after an admission the call screen waits for the visitor's media to be set up, at most. */
const RENDER_HELD_MS = 400;
interface ActiveCall {
  engine: CallEngine;
  media: LocalMedia;
  /** Admitted its first visitor here (ends it for all); false when a colleague asked us in. */
  host: boolean;
}

export function DashboardApp() {
  useLanguage(i18n);
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  // Before anything below renders a time: they are all at the organization's clock.
  if (me) setOrganizationTimeZone(me.organization.timeZone);
  const [invitation, setInvitation] = useState(invitationInLink);
  const [alertLink, setAlertLink] = useState(alertLinkInLink);
  const [notice, setNotice] = useState<string | undefined>();
  const [socket, setSocket] = useState<ProfessionalSocket | null>(null);
  /** Counts the consultations scheduled here, so the list of upcoming ones follows at once. */
  const [scheduled, setScheduled] = useState(0);
  const [view, setView] = useState<View>('queue');
  const [call, setCall] = useState<ActiveCall | null>(null);
  const [soundOn, setSoundOn] = useArrivalSound();
  const [notifications, askForNotifications] = useNotificationPermission();
  const [focusVisitor, setFocusVisitor] = useState<string | null>(null);
  const onArrival = useArrivalAlerts(soundOn, (visitorId) => {
    setView('queue');
    setFocusVisitor(visitorId);
  });
  const [preview, setPreview] = useState<LocalMedia | null>(null);
  const previewRef = useRef<LocalMedia | null>(null);
  const admitting = useRef(false);
  previewRef.current = preview;

  // The camera is on only while someone waits (and no call is going on), never all day.
  const ready = !!me && !me.pending;
  const waiting = useWaitingRoom(socket, onArrival);
  const waitingCount = waiting.waitingCount;
  const messages = useMessages(socket, me && !me.pending ? `pro:${me.organization.id}:${me.professional.id}` : null);
  useTitleCount(ready ? waitingCount : 0, ready);
  const wantPreview = ready && !call && view === 'queue' && waitingCount > 0;
  useEffect(() => {
    if (!wantPreview) return;
    let media: LocalMedia | null = null;
    let cancelled = false;
    void LocalMedia.open(savedDevicePreference()).then((m) => {
      if (cancelled) return m.stop();
      media = m;
      setPreview(m);
    });
    return () => {
      cancelled = true;
      // No longer wanted, unless an admission took it into the call (which then stops it).
      if (media && !handedOver.has(media)) media.stop();
      setPreview(null);
    };
  }, [wantPreview]);

  useEffect(() => {
    fetchRoute(memberRoutes.me, {}).then(setMe, (err) => {
      setMe(null);
      if (!(err instanceof ApiError && err.status === 401)) setNotice(t('login.failed'));
    });
  }, []);

  useEffect(() => {
    if (!me || me.pending) return;
    const s = connectProfessional();
    s.on('session:ended', () => {
      setMe(null);
      setNotice(t('app.sessionEnded'));
    });
    setSocket(s);
    void preloadDevice().catch(() => undefined);
    return () => {
      s.disconnect();
      setSocket(null);
    };
  }, [me?.professional.id, me?.pending]);

  const readyCall = useReadyCall(socket, preview, !!call);
  const { invitations, answered } = useCallInvitations(socket);
  /** The oldest call we are asked into (the next one shows once this one is answered). */
  const invitedTo = invitations[0];

  // Opened from an arrival SMS: once logged in, show that visitor (if the link is still good).
  useEffect(() => {
    if (!ready || !alertLink) return;
    history.replaceState(null, '', location.pathname);
    setAlertLink(null);
    fetchRoute(memberRoutes.openAlertLink, { body: { token: alertLink } }).then(
      ({ visitorId }) => {
        setView('queue');
        setFocusVisitor(visitorId);
      },
      () => setNotice(t('alerts.linkExpired')),
    );
  }, [ready, alertLink]);

  const admit = async (visitor: WaitingVisitor) => {
    // One admission at a time: a second click meanwhile would take the same ready call.
    if (!socket || admitting.current) return;
    admitting.current = true;
    try {
      await admitNow(socket, visitor);
    } finally {
      admitting.current = false;
    }
  };
  const admitNow = async (socket: ProfessionalSocket, visitor: WaitingVisitor) => {
    mark('admit-clicked');
    const readyEngine = preview && readyCall.current();
    if (readyEngine) {
      // Into the ready call: the media is set up already; sending starts while the admission travels.
      handedOver.add(preview);
      readyCall.take(readyEngine);
      const visitorsMedia = readyEngine.nextRemoteTrack();
      // Their video plays in its element meanwhile, ready for the call screen's first paint.
      prepareRemoteVideos(readyEngine);
      try {
        await request(socket, 'queue:admit', { visitorId: visitor.visitorId, callId: readyEngine.callId });
      } catch (err) {
        readyCall.giveBack(readyEngine);
        handedOver.delete(preview);
        if (previewRef.current !== preview) preview.stop();
        throw err;
      }
      mark('admitted');
      // The call screen's first render holds this page for tens of milliseconds, right when the visitor
      // joins: our key to them and their video wait behind it. It renders once their first track is set up
      // here (at most RENDER_HELD_MS after the admission; the visitor's own page is in the call by then).
      await renderWhenReady(visitorsMedia, RENDER_HELD_MS);
      setCall({ engine: readyEngine, media: preview, host: true });
      return;
    }
    // Camera and admission in parallel: the visitor should see us as soon as the call exists.
    // The preview's camera goes into the call as it is; without a preview, open it now.
    if (preview) handedOver.add(preview);
    const opening = preview ? Promise.resolve(preview) : LocalMedia.open(savedDevicePreference()).then((m) => (mark('camera-open'), m));
    let callId: string;
    try {
      ({ callId } = await request(socket, 'queue:admit', { visitorId: visitor.visitorId }));
    } catch (err) {
      if (preview) {
        handedOver.delete(preview);
        // The queue may have emptied meanwhile and the preview closed without stopping what we held.
        if (previewRef.current !== preview) preview.stop();
      } else (await opening).stop();
      throw err;
    }
    mark('admitted');
    // Join at once; the engine starts sending when the camera is open.
    const engine = new CallEngine(socket, callId, opening);
    void engine.start().catch(() => undefined);
    setCall({ engine, media: await opening, host: true });
  };

  /** A colleague asked us into their call: join it as we are (the preview's camera, or open it now). */
  const joinInvitation = async (callId: string) => {
    answered(callId);
    if (!socket || call) return;
    if (preview) handedOver.add(preview);
    const media = preview ?? (await LocalMedia.open(savedDevicePreference()));
    const engine = new CallEngine(socket, callId, media);
    void engine.start().catch(() => undefined);
    setCall({ engine, media, host: false });
  };
  const declineInvitation = (callId: string) => {
    answered(callId);
    if (socket) void request(socket, 'call:hang-up', { callId }).catch(() => undefined);
  };

  const logout = async () => {
    await fetchRoute(memberRoutes.logout, {}).catch(() => undefined);
    setMe(null);
  };

  return (
    <div class="page">
      <header class="topbar">
        <span class="brand">{me ? `${me.organization.name} · ${me.professional.name}` : t('app.title')}</span>
        <LanguageSwitch i18n={i18n} label={t('app.language')} />
        {me && (
          <button type="button" class="secondary" onClick={() => void logout()}>
            {t('app.logout')}
          </button>
        )}
      </header>
      <main>
        {me === undefined && !invitation && <p role="status">{t('app.loading')}</p>}
        {invitation && (
          <InvitationAccept
            token={invitation}
            onJoined={(m) => {
              history.replaceState(null, '', location.pathname);
              setInvitation(null);
              setMe(m);
            }}
          />
        )}
        {me === null && !invitation && <LoginForm notice={notice} onLoggedIn={(m) => { setNotice(undefined); setMe(m); }} />}
        {me?.pending === 'second-factor' && <SecondFactorCheck onDone={setMe} />}
        {me?.pending === 'second-factor-setup' && <SecondFactorSetup onDone={setMe} />}
        {me?.pending === 'password-change' && <PasswordChange onChanged={setMe} />}
        {ready && invitedTo && !call && (
          <div class="notice invitation" role="alert">
            <p>{t('call.invitation', { name: invitedTo.by })}</p>
            <button type="button" onClick={() => void joinInvitation(invitedTo.callId)}>
              {t('call.join')}
            </button>
            <button type="button" class="secondary" onClick={() => declineInvitation(invitedTo.callId)}>
              {t('call.decline')}
            </button>
          </div>
        )}
        {ready && call && (
          <ProfessionalCall
            engine={call.engine}
            media={call.media}
            socket={socket!}
            host={call.host}
            waiting={waiting}
            onClose={() => {
              call.engine.close();
              call.media.stop();
              setCall(null);
            }}
          />
        )}
        {ready && notice && (
          <p class="notice" role="status">
            {notice}
          </p>
        )}
        {ready && !call && socket && (
          <>
            <nav class="tabs" aria-label={t('app.title')}>
              <button type="button" class="secondary" aria-current={view === 'queue' ? 'page' : undefined} onClick={() => setView('queue')}>
                {t('nav.queue')}
              </button>
              <button type="button" class="secondary" aria-current={view === 'history' ? 'page' : undefined} onClick={() => setView('history')}>
                {t('nav.history')}
              </button>
              <button type="button" class="secondary" aria-current={view === 'settings' ? 'page' : undefined} onClick={() => setView('settings')}>
                {t('nav.settings')}
              </button>
              {me.professional.role === 'admin' && (
                <button type="button" class="secondary" aria-current={view === 'organization' ? 'page' : undefined} onClick={() => setView('organization')}>
                  {t('nav.organization')}
                </button>
              )}
              {me.professional.role === 'admin' && (
                <button type="button" class="secondary" aria-current={view === 'visitors' ? 'page' : undefined} onClick={() => setView('visitors')}>
                  {t('nav.visitors')}
                </button>
              )}
              {me.professional.role === 'admin' && (
                <button type="button" class="secondary" aria-current={view === 'audit' ? 'page' : undefined} onClick={() => setView('audit')}>
                  {t('nav.audit')}
                </button>
              )}
            </nav>
            {view === 'queue' ? (
              <>
                {/* Every call is end-to-end encrypted: a browser that cannot encrypt frames may not admit anyone. */}
                {canEncryptFrames() ? (
                  <>
                    <AlertSettings soundOn={soundOn} setSoundOn={setSoundOn} notifications={notifications} askForNotifications={askForNotifications} />
                    <WaitingList waiting={waiting} messages={messages} onAdmit={admit} focusVisitor={focusVisitor} />
                    <ScheduleConsultation rooms={waiting.rooms} onScheduled={() => setScheduled((n) => n + 1)} />
                    <UpcomingConsultations socket={socket} refresh={scheduled} />
                    <AccessCodes rooms={waiting.rooms} />
                  </>
                ) : (
                  <section>
                    <h1>{t('queue.heading')}</h1>
                    <p class="error" role="alert">
                      {t('e2ee.unsupported')}
                    </p>
                  </section>
                )}
                {preview && <SelfPreview media={preview} />}
              </>
            ) : view === 'history' ? (
              <HistoryList />
            ) : view === 'audit' ? (
              <AuditLogPage />
            ) : view === 'visitors' ? (
              <VisitorData />
            ) : view === 'settings' ? (
              <>
                <SmsSettings />
                {me.professional.role === 'admin' && <EmailSettings />}
                <BankIdLink />
              </>
            ) : (
              <OrganizationAdmin selfId={me.professional.id} socket={socket} />
            )}
          </>
        )}
      </main>
    </div>
  );
}
