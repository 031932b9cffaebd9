import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { CallEngine, CallSnapshot } from '../call-engine/call-engine.ts';
import type { LocalMedia } from '../call-engine/local-media.ts';
import { DevicePicker, rememberDevice } from '../check/DevicePicker.tsx';
import type { Translate } from './call-strings.ts';
import { MediaView } from './MediaView.tsx';
import { EncryptionStatus } from './EncryptionStatus.tsx';
import { ChatPanel } from './ChatPanel.tsx';
import { SelfView } from './SelfView.tsx';
import { useScreenAwake } from './screen-awake.ts';
import { CameraIcon, ChatIcon, DevicesIcon, HangUpIcon, MicrophoneIcon, ScreenIcon, SwitchCameraIcon } from './icons.tsx';
import './call-layout.css';

/** How many cameras this device has, followed as they are plugged in and out. */
function useCameraCount(media: LocalMedia): number {
  const [count, setCount] = useState(0);
  useEffect(() => {
    const refresh = () => void media.devices().then((d) => setCount(d.cameras.length), () => undefined);
    refresh();
    navigator.mediaDevices?.addEventListener('devicechange', refresh);
    return () => navigator.mediaDevices?.removeEventListener('devicechange', refresh);
  }, [media]);
  return count;
}

/**
 * The call screen, the same for visitor and professional (layout: call-layout.css).
 * `hangUpLabel`: what hanging up does here, when it is more than leaving (the host ends the call for all).
 * `children`: what else this participant can do in the call (the professional's actions), above the stage.
 */
export function CallView({ engine, media, t, hangUpLabel, children }: { engine: CallEngine; media: LocalMedia; t: Translate; hangUpLabel?: string; children?: ComponentChildren }) {
  const [call, setCall] = useState<CallSnapshot>(engine.snapshot());
  const [version, setVersion] = useState(0);
  const [shareFailed, setShareFailed] = useState(false);
  const [switching, setSwitching] = useState(false);
  const [switchFailed, setSwitchFailed] = useState(false);
  const [chatOpen, setChatOpen] = useState(false);
  const [chatSeen, setChatSeen] = useState(0);
  const chatToggle = useRef<HTMLButtonElement>(null);
  const cameras = useCameraCount(media);
  useEffect(() => engine.subscribe((s) => {
    setCall(s);
    setVersion((v) => v + 1);
  }), [engine]);
  useScreenAwake(call.status !== 'ended' && call.status !== 'failed');
  useEffect(() => {
    if (chatOpen) setChatSeen(call.chat.length);
  }, [chatOpen, call.chat.length]);

  const switchCamera = async () => {
    setSwitching(true);
    setSwitchFailed(false);
    try {
      const deviceId = await media.switchCamera();
      // The next visit on this device opens the camera chosen now (and a reload mid-call comes back to it).
      if (deviceId) rememberDevice('video', deviceId);
    } catch {
      setSwitchFailed(true);
    } finally {
      setSwitching(false);
    }
  };

  const remotes = call.remotes;
  const undecryptable = remotes.filter((r) => call.encryption.undecryptable.includes(r.peer.id));
  const keyChanged = remotes.filter((r) => call.encryption.keyChanged.includes(r.peer.id));
  const unread = chatOpen ? 0 : Math.max(0, call.chat.length - chatSeen);
  return (
    <section class={chatOpen ? 'call chat-open' : 'call'} aria-label={remotes.length ? remotes.map((r) => r.peer.name).join(', ') : t('call.connecting')}>
      <div class="call-top">
        <EncryptionStatus call={call} t={t} />
        {undecryptable.map((r) => (
          <p key={r.peer.id} class="error" role="alert">
            {t('e2ee.cannotDecrypt', { name: r.peer.name })}
          </p>
        ))}
        {keyChanged.length > 0 && (
          <div class="notice error" role="alert">
            {keyChanged.map((r) => (
              <p key={r.peer.id}>{t('e2ee.keyChanged', { name: r.peer.name })}</p>
            ))}
            <button type="button" class="secondary" onClick={() => engine.keyChangeCompared()}>
              {t('e2ee.keyChangedDone')}
            </button>
          </div>
        )}
        {children}
        {/* Everyone in the call, by name and role, from the moment they join: before any of their media. */}
        <ul class="roster" aria-label={t('call.roster')}>
          <li>{t('call.you')}</li>
          {remotes.map((r) => (
            <li key={r.peer.id}>
              {r.peer.name} <span class="role">({t(`call.role.${r.peer.role}`)})</span>
            </li>
          ))}
        </ul>
        {call.sharingScreen && <p class="notice">{t('call.sharing')}</p>}
        {call.audioOnly && (
          <div class="notice" role="status">
            <p>{t('call.audioOnly')}</p>
            <button type="button" class="secondary" onClick={() => void engine.wantVideoAnyway()}>
              {t('call.videoAnyway')}
            </button>
          </div>
        )}
        {shareFailed && !call.sharingScreen && (
          <p class="error" role="alert">
            {t('call.shareFailed')}
          </p>
        )}
        {switchFailed && (
          <p class="error" role="alert">
            {t('call.switchFailed')}
          </p>
        )}
        <p class="status" role="status" aria-live="polite">
          {call.status === 'connecting' && t('call.connecting')}
          {call.status === 'reconnecting' && t('call.reconnecting')}
          {call.status === 'failed' && call.encryption.mode !== 'refused' && t('call.failed')}
        </p>
      </div>
      <div class={`stage tiles-${Math.min(remotes.length + remotes.filter((r) => r.screen).length, 5)}`}>
        {remotes.length === 0 && <p class="placeholder">{t('call.connecting')}</p>}
        {remotes.map((remote) =>
          remote.screen ? (
            <figure class="remote screen" key={`${remote.peer.id}-screen`}>
              <MediaView stream={remote.screen} muted label={t('call.screenOf', { name: remote.peer.name })} version={version} />
              <figcaption>{t('call.screenOf', { name: remote.peer.name })}</figcaption>
            </figure>
          ) : null,
        )}
        {remotes.map((remote) => (
          <figure class="remote" key={remote.peer.id}>
            <MediaView stream={remote.stream} muted={false} label={remote.peer.name} version={version} />
            <figcaption>
              {remote.peer.name}
              {call.quality.peers[remote.peer.id] && (
                <span class={`network ${call.quality.peers[remote.peer.id]}`}>{t(`call.network.${call.quality.peers[remote.peer.id]!}`)}</span>
              )}
              {remote.audioMuted && <span class="badge">{t('call.otherMuted', { name: remote.peer.name })}</span>}
              {remote.videoOff && <span class="badge">{t('call.otherCameraOff', { name: remote.peer.name })}</span>}
            </figcaption>
          </figure>
        ))}
        <SelfView label={t('call.selfHint')}>
          {/* A mirror for the camera facing us, as people expect; the back camera shows the room as it is. */}
          {media.videoTrack ? (
            <MediaView stream={media.stream} muted mirrored={media.videoTrack.getSettings().facingMode !== 'environment'} label={t('call.you')} version={version} />
          ) : (
            <div class="no-video" />
          )}
          <figcaption>
            {t('call.you')}
            {call.quality.self && <span class={`network ${call.quality.self}`}>{t(`call.network.${call.quality.self}`)}</span>}
          </figcaption>
        </SelfView>
      </div>
      <div class="controls" role="group" aria-label={t('call.controls')}>
        <button type="button" class="control" aria-pressed={call.microphoneMuted} onClick={() => void engine.setMicrophoneMuted(!call.microphoneMuted)}>
          <MicrophoneIcon off={call.microphoneMuted} />
          <span class="label">{call.microphoneMuted ? t('call.unmute') : t('call.mute')}</span>
        </button>
        <button type="button" class="control" aria-pressed={call.cameraOff} onClick={() => void engine.setCameraOff(!call.cameraOff)}>
          <CameraIcon off={call.cameraOff} />
          <span class="label">{call.cameraOff ? t('call.cameraOn') : t('call.cameraOff')}</span>
        </button>
        {/* Front or back (or a laptop's second camera): only where there is another camera to switch to. */}
        {cameras > 1 && !call.cameraOff && (
          <button type="button" class="control" disabled={switching} onClick={() => void switchCamera()}>
            <SwitchCameraIcon />
            <span class="label">{t('call.switchCamera')}</span>
          </button>
        )}
        {call.screenShareAllowed && (
          <button
            type="button"
            class="control"
            aria-pressed={call.sharingScreen}
            onClick={() => void (call.sharingScreen ? engine.stopScreenShare() : engine.startScreenShare().catch(() => setShareFailed(true)))}
          >
            <ScreenIcon off={call.sharingScreen} />
            <span class="label">{call.sharingScreen ? t('call.stopSharing') : t('call.shareScreen')}</span>
          </button>
        )}
        <button ref={chatToggle} type="button" class="control chat-toggle" aria-expanded={chatOpen} aria-controls="call-chat" onClick={() => setChatOpen(!chatOpen)}>
          <ChatIcon />
          <span class="label">
            {t('chat.title')}
            {unread > 0 && ` (${t('chat.unread', { n: unread })})`}
          </span>
          {unread > 0 && (
            <span class="count" aria-hidden="true">
              {unread}
            </span>
          )}
        </button>
        <details class="devices">
          <summary class="control">
            <DevicesIcon />
            <span class="label">{t('call.settings')}</span>
          </summary>
          <div class="devices-panel">
            <DevicePicker media={media} t={t} />
          </div>
        </details>
        <button type="button" class="control danger" onClick={() => void engine.hangUp()}>
          <HangUpIcon />
          <span class="label">{hangUpLabel ?? t('call.hangUp')}</span>
        </button>
      </div>
      <ChatPanel
        id="call-chat"
        engine={engine}
        call={call}
        t={t}
        open={chatOpen}
        onClose={() => {
          setChatOpen(false);
          chatToggle.current?.focus();
        }}
      />
    </section>
  );
}
