import { VerifiedIdentity } from './VerifiedIdentity.tsx';
import { DeviceCheckSummary } from './DeviceCheckSummary.tsx';
import { useEffect, useState } from 'preact/hooks';
import type { CheckInDetails, WaitingVisitor } from '../../../signaling/protocol/index.ts';
import { RequestError } from '../../../client/src/call-engine/request.ts';
import { birthDate, clockTime, i18n, t } from '../strings.ts';
import type { WaitingRoomState } from './use-waiting-room.ts';
import type { MessagesState } from './use-messages.ts';
import { MessageThread } from '../../../client/src/messages/MessageThread.tsx';

/** Everyone waiting in the rooms this member belongs to (admins: all rooms), live, grouped by room, oldest first. */
export function WaitingList({ waiting, messages, onAdmit, focusVisitor }: {
  waiting: WaitingRoomState;
  messages: MessagesState;
  onAdmit: (visitor: WaitingVisitor) => Promise<void>;
  /** A visitor to bring into view (its notification was clicked): its Admit button gets the focus. */
  focusVisitor?: string | null;
}) {
  const { rooms, visitors, online, waitingCount } = waiting;
  useEffect(() => {
    if (!focusVisitor) return;
    const button = document.querySelector<HTMLButtonElement>(`li[data-visitor-id="${focusVisitor}"] button`);
    button?.scrollIntoView({ block: 'center' });
    button?.focus();
  }, [focusVisitor, visitors.length]);
  const [now, setNow] = useState(Date.now());
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const tick = setInterval(() => setNow(Date.now()), 15_000);
    return () => clearInterval(tick);
  }, []);

  /**
   * Runs an action on a visitor (admit, deny, transfer). A visitor who turns out to be gone (admitted by
   * someone else, left) leaves the list; `otherwise` words any other failure.
   */
  const act = async (v: WaitingVisitor, action: () => Promise<unknown>, otherwise: (code: string | undefined, gone: boolean) => string) => {
    setError(null);
    try {
      await action();
    } catch (err) {
      const code = err instanceof RequestError ? err.code : undefined;
      const gone = code === 'not_waiting' || code === 'not_found' || code === 'already_admitted';
      if (gone) waiting.remove(v.visitorId);
      setError(code === 'already_admitted' ? t('queue.alreadyAdmitted') : otherwise(code, gone));
    }
  };
  const admit = (v: WaitingVisitor) => act(v, () => onAdmit(v), (_code, gone) => (gone ? t('queue.notWaiting') : t('queue.admitFailed')));
  /** Deny or transfer. */
  const actOn = (v: WaitingVisitor, action: () => Promise<unknown>) =>
    act(v, action, (code) => (code === 'bad_request' ? t('queue.badMessage') : t('queue.actionFailed')));

  // Rooms the list knows, plus any a visitor arrived in since (a room added meanwhile).
  const shown = [...rooms];
  for (const v of visitors) if (!shown.some((r) => r.roomId === v.roomId)) shown.push({ roomId: v.roomId, name: v.roomName, slug: '', kind: 'shared', pseudonymous: false });

  return (
    <section class="waiting-list" aria-labelledby="queue-heading">
      <h1 id="queue-heading">
        {t('queue.heading')} <span class="muted">({t('queue.count', { n: waitingCount })})</span>
      </h1>
      {!online && <p class="notice" role="status">{t('queue.offline')}</p>}
      {error && <p class="error" role="alert">{error}</p>}
      {visitors.length === 0 && shown.length <= 1 && <p class="muted">{t('queue.empty')}</p>}
      {shown.map((room) => {
        const here = visitors.filter((v) => v.roomId === room.roomId);
        return (
          <section key={room.roomId} class="queue-room" aria-label={room.name} data-room-id={room.roomId}>
            {shown.length > 1 && <h2>{room.name}</h2>}
            {shown.length > 1 && here.length === 0 && <p class="muted">{t('queue.empty')}</p>}
            {here.filter((v) => !v.takenBy && !v.dropped).length > 1 && (
              <MessageEveryone roomName={room.name} visitorIds={here.filter((v) => !v.takenBy && !v.dropped).map((v) => v.visitorId)} waiting={waiting} messages={messages} />
            )}
            <ul class="queue" aria-live="polite">
              {here.map((v) => (
                <li key={v.visitorId} data-visitor-id={v.visitorId} class={v.takenBy || v.dropped ? 'taken' : undefined}>
                  <div>
                    <strong>{v.name}</strong>{' '}
                    {!v.takenBy && !v.dropped && (
                      <span class={v.online ? 'presence online' : 'presence lost'}>{v.online ? t('queue.online') : t('queue.connectionLost')}</span>
                    )}
                    {v.identity && <VerifiedIdentity identity={v.identity} reveal={() => waiting.nationalIdOf(v.visitorId)} />}
                    {v.checkIn && <CheckInDetailsList details={v.checkIn} />}
                    {v.deviceCheck && <DeviceCheckSummary check={v.deviceCheck} />}
                    <div class="muted">
                      {t('queue.arrived', { time: clockTime(v.arrivedAt) })} ·{' '}
                      {t('queue.waitingFor', { n: Math.max(0, Math.floor((now - v.arrivedAt) / 60_000)) })}
                      {v.appointmentAt && <> · {t('queue.appointment', { time: clockTime(v.appointmentAt) })}</>}
                    </div>
                  </div>
                  {v.takenBy || v.dropped ? (
                    <span class="muted" role="status">
                      {v.takenBy ? t('queue.takenBy', { name: v.takenBy }) : t('queue.dropped')}
                    </span>
                  ) : (
                    <div class="row-actions">
                      <button type="button" aria-label={t('queue.admitName', { name: v.name })} onClick={() => void admit(v)}>
                        {t('queue.admit')}
                      </button>
                      <OtherActions visitor={v} waiting={waiting} act={actOn} />
                    </div>
                  )}
                  {!v.takenBy && !v.dropped && <Messages visitor={v} waiting={waiting} messages={messages} />}
                </li>
              ))}
            </ul>
          </section>
        );
      })}
    </section>
  );
}

/** What the visitor answered on the room's form, beside their name. */
function CheckInDetailsList({ details }: { details: CheckInDetails }) {
  const rows: [string, string][] = [];
  if (details.phone) rows.push([t('queue.phone'), details.phone]);
  if (details.birthDate) rows.push([t('queue.birthDate'), birthDate(details.birthDate)]);
  for (const c of details.custom) rows.push([c.label, typeof c.value === 'boolean' ? (c.value ? t('queue.yes') : t('queue.no')) : String(c.value)]);
  if (details.reason) rows.push([t('queue.reason'), details.reason]);
  if (!rows.length) return null;
  return (
    <dl class="check-in-details">
      {rows.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The conversation with one waiting visitor; a count of their messages not yet read while it is closed. */
function Messages({ visitor, waiting, messages }: { visitor: WaitingVisitor; waiting: WaitingRoomState; messages: MessagesState }) {
  const unread = messages.unread[visitor.visitorId] ?? 0;
  return (
    <details class="messages-panel" onToggle={(e) => messages.opened(visitor.visitorId, (e.currentTarget as HTMLDetailsElement).open)}>
      <summary aria-label={t('queue.messagesWith', { name: visitor.name }) + (unread ? `, ${i18n.plural('queue.unread', unread, { n: unread })}` : '')}>
        {t('messages.title')} {unread > 0 && <span class="badge">{i18n.plural('queue.unread', unread, { n: unread })}</span>}
      </summary>
      <MessageThread
        messages={messages.threads[visitor.visitorId] ?? []}
        onSend={(text) => messages.send(visitor.visitorId, text)}
        t={t}
        time={clockTime}
        label={t('messages.to', { name: visitor.name })}
        visitorName={visitor.name}
        quickReplies={waiting.quickReplies}
      />
    </details>
  );
}

/** One message to everyone waiting in a room (each gets their own sealed copy). */
function MessageEveryone({ roomName, visitorIds, waiting, messages }: { roomName: string; visitorIds: string[]; waiting: WaitingRoomState; messages: MessagesState }) {
  const [sent, setSent] = useState<number | null>(null);
  return (
    <details class="message-everyone">
      <summary>{t('queue.messageAll')}</summary>
      <MessageThread
        messages={[]}
        onSend={async (text) => setSent(await messages.sendToEach(visitorIds, text))}
        t={t}
        time={clockTime}
        label={t('queue.messageAllLabel', { room: roomName })}
        quickReplies={waiting.quickReplies}
      />
      {sent !== null && <p role="status">{t('queue.messagedAll', { n: sent })}</p>}
    </details>
  );
}

/** Turning a visitor away (with a message, if the professional writes one) or moving them to another room. */
function OtherActions({ visitor, waiting, act }: {
  visitor: WaitingVisitor;
  waiting: WaitingRoomState;
  act: (v: WaitingVisitor, action: () => Promise<unknown>) => Promise<void>;
}) {
  const targets = waiting.transferTargets.filter((r) => r.roomId !== visitor.roomId);
  const [message, setMessage] = useState('');
  const [target, setTarget] = useState('');
  return (
    <details class="other-actions">
      <summary aria-label={t('queue.moreFor', { name: visitor.name })}>{t('queue.more')}</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void act(visitor, () => waiting.deny(visitor.visitorId, message.trim() || undefined));
        }}
      >
        <label class="field">
          <span>{t('queue.denyMessage')}</span>
          <textarea maxLength={1000} rows={2} value={message} onInput={(e) => setMessage((e.currentTarget as HTMLTextAreaElement).value)} />
        </label>
        <button type="submit" class="secondary danger" aria-label={t('queue.denyName', { name: visitor.name })}>
          {t('queue.deny')}
        </button>
      </form>
      {targets.length > 0 && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (target) void act(visitor, () => waiting.transfer(visitor.visitorId, target));
          }}
        >
          <label class="field">
            <span>{t('queue.moveTo')}</span>
            <select value={target} onChange={(e) => setTarget((e.currentTarget as HTMLSelectElement).value)}>
              <option value="">{t('queue.chooseRoom')}</option>
              {targets.map((r) => (
                <option key={r.roomId} value={r.roomId}>
                  {r.name}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" class="secondary" disabled={!target} aria-label={t('queue.moveName', { name: visitor.name })}>
            {t('queue.move')}
          </button>
        </form>
      )}
    </details>
  );
}
