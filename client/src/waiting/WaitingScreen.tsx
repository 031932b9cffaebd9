import type { QueuePlace } from '../../../signaling/protocol/index.ts';
import type { LocalMedia } from '../call-engine/local-media.ts';
import { DeviceCheck } from '../check/DeviceCheck.tsx';
import { appointmentAt as appointmentText, clockTime, newTab, privacyLink, t } from '../strings.ts';
import { MessageThread } from '../messages/MessageThread.tsx';
import type { ShownMessage } from '../messages/shown-message.ts';

export function WaitingScreen({ professionalName, arrivedAt, place, movedTo, sentBack, appointmentAt, timeZone, online, media, messages, onSendMessage, privacyPage, onLeave }: {
  /** The organization's: every time here is at its clock. */
  timeZone: string;
  /** The conversation with the room's professionals while waiting. */
  messages: ShownMessage[];
  onSendMessage: (text: string) => Promise<void>;
  /** Just sent back here from the call, to say so. */
  sentBack?: boolean;
  /** A scheduled consultation's time: a visitor who came early is told they are expected then. */
  appointmentAt?: number;
  professionalName: string;
  arrivedAt: number;
  place: QueuePlace | null;
  /** The room the visitor was just moved to, to say so. */
  movedTo?: string;
  online: boolean;
  media: LocalMedia;
  /** The organization's privacy page, in the footer. */
  privacyPage: string;
  onLeave: () => void;
}) {
  const time = clockTime(arrivedAt, timeZone);
  return (
    <section class="waiting" aria-labelledby="waiting-heading">
      <h1 id="waiting-heading">{t('waiting.heading')}</h1>
      {sentBack && (
        <p class="notice" role="alert">
          {t('waiting.sentBack', { name: professionalName })}
        </p>
      )}
      {movedTo && (
        <p class="notice" role="alert">
          {t('waiting.moved', { room: movedTo })}
        </p>
      )}
      <p class="lead" role="status">{t('waiting.told', { name: professionalName })}</p>
      {appointmentAt && appointmentAt > Date.now() && <p class="lead">{t('checkin.appointment', { time: appointmentText(appointmentAt, timeZone) })}</p>}
      {place && (
        <p class="place" aria-live="polite">
          {place.position === 1 ? t('waiting.next') : t('waiting.position', { n: place.position })}{' '}
          {place.estimatedMinutes !== null && t('waiting.estimate', { n: place.estimatedMinutes })}
        </p>
      )}
      <p>{t('waiting.keepOpen')}</p>
      <p class="muted">{t('waiting.since', { time })}</p>
      {!online && <p class="notice" role="alert">{t('waiting.offline')}</p>}
      <section class="waiting-messages" aria-labelledby="messages-heading">
        <h2 id="messages-heading">{t('messages.title')}</h2>
        <MessageThread messages={messages} onSend={onSendMessage} t={t} time={(at) => clockTime(at, timeZone)} label={t('messages.to', { name: professionalName })} />
      </section>
      <DeviceCheck media={media} t={t} />
      <button type="button" class="secondary" onClick={onLeave}>
        {t('waiting.leave')}
      </button>
      <footer class="waiting-footer">
        <a href={privacyLink(privacyPage)} {...newTab}>
          {t('privacy.link')}
        </a>
      </footer>
    </section>
  );
}
