import { useEffect, useState } from 'preact/hooks';
import type { CallEngine, CallSnapshot } from '../call-engine/call-engine.ts';
import type { LocalMedia } from '../call-engine/local-media.ts';
import { DevicePicker } from '../check/DevicePicker.tsx';
import type { Translate } from './call-strings.ts';
import { MediaView } from './MediaView.tsx';
import { EncryptionStatus } from './EncryptionStatus.tsx';
import { ChatPanel } from './ChatPanel.tsx';

/** The call screen, the same for visitor and professional. */
/** `hangUpLabel`: what hanging up does here, when it is more than leaving (the host ends the call for all). */
export function CallView({ engine, media, t, hangUpLabel }: { engine: CallEngine; media: LocalMedia; t: Translate; hangUpLabel?: string }) {
  const [call, setCall] = useState<CallSnapshot>(engine.snapshot());
  const [version, setVersion] = useState(0);
  const [shareFailed, setShareFailed] = useState(false);
  useEffect(() => engine.subscribe((s) => {
    setCall(s);
    setVersion((v) => v + 1);
  }), [engine]);

  const remotes = call.remotes;
  const undecryptable = remotes.filter((r) => call.encryption.undecryptable.includes(r.peer.id));
  const keyChanged = remotes.filter((r) => call.encryption.keyChanged.includes(r.peer.id));
  return (
    <section class="call" aria-label={remotes.length ? remotes.map((r) => r.peer.name).join(', ') : t('call.connecting')}>
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
      {/* Everyone in the call, by name and role, from the moment they join: before any of their media. */}
      <ul class="roster" aria-label={t('call.roster')}>
        <li>{t('call.you')}</li>
        {remotes.map((r) => (
          <li key={r.peer.id}>
            {r.peer.name} <span class="role">({t(`call.role.${r.peer.role}`)})</span>
          </li>
        ))}
      </ul>
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
        <figure class="self">
          {media.videoTrack ? <MediaView stream={media.stream} muted mirrored label={t('call.you')} version={version} /> : <div class="no-video" />}
          <figcaption>
            {t('call.you')}
            {call.quality.self && <span class={`network ${call.quality.self}`}>{t(`call.network.${call.quality.self}`)}</span>}
          </figcaption>
        </figure>
      </div>
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
      <p class="status" role="status" aria-live="polite">
        {call.status === 'connecting' && t('call.connecting')}
        {call.status === 'reconnecting' && t('call.reconnecting')}
        {call.status === 'failed' && call.encryption.mode !== 'refused' && t('call.failed')}
      </p>
      <div class="controls">
        <button type="button" aria-pressed={call.microphoneMuted} onClick={() => void engine.setMicrophoneMuted(!call.microphoneMuted)}>
          {call.microphoneMuted ? t('call.unmute') : t('call.mute')}
        </button>
        <button type="button" aria-pressed={call.cameraOff} onClick={() => void engine.setCameraOff(!call.cameraOff)}>
          {call.cameraOff ? t('call.cameraOn') : t('call.cameraOff')}
        </button>
        {call.screenShareAllowed && (
          <button
            type="button"
            aria-pressed={call.sharingScreen}
            onClick={() => void (call.sharingScreen ? engine.stopScreenShare() : engine.startScreenShare().catch(() => setShareFailed(true)))}
          >
            {call.sharingScreen ? t('call.stopSharing') : t('call.shareScreen')}
          </button>
        )}
        <details class="devices">
          <summary>{t('call.settings')}</summary>
          <DevicePicker media={media} t={t} />
        </details>
        <button type="button" class="danger" onClick={() => void engine.hangUp()}>
          {hangUpLabel ?? t('call.hangUp')}
        </button>
      </div>
      <ChatPanel engine={engine} call={call} t={t} />
    </section>
  );
}
