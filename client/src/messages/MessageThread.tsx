import { useState } from 'preact/hooks';
import { MESSAGE_MAX } from '../../../signaling/protocol/index.ts';
import type { Translate } from '../call/call-strings.ts';
import type { ShownMessage, MessageProblem } from './shown-message.ts';

/**
 * A conversation with a waiting visitor, the same on both sides: what was said, and a box to answer.
 * `quickReplies` (dashboards): ready-made messages sent with one click.
 */
export function MessageThread({ messages, onSend, t, time, label, visitorName, quickReplies = [] }: {
  messages: ShownMessage[];
  /** A message's time of day, at the organization's clock (each app knows its organization's zone). */
  time: (at: number) => string;
  onSend: (text: string) => Promise<void>;
  t: Translate;
  /** Names the box, e.g. "Message to Ola Nordmann". */
  label: string;
  /** On a dashboard, how the visitor's own messages are signed. */
  visitorName?: string;
  quickReplies?: string[];
}) {
  const [draft, setDraft] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const send = async (text: string, clear: boolean) => {
    setProblem(null);
    setSending(true);
    try {
      await onSend(text);
      if (clear) setDraft('');
    } catch (err) {
      setProblem(t(`messages.problem.${(err as MessageProblem).code ?? 'failed'}`, { max: MESSAGE_MAX }));
    } finally {
      setSending(false);
    }
  };
  return (
    <div class="message-thread">
      {messages.length > 0 && (
        <ol class="messages" aria-label={t('messages.title')}>
          {messages.map((m) => (
            <li key={m.messageId} class={m.author === null ? 'mine' : undefined}>
              <span class="muted">
                {m.author === null ? t('chat.you') : m.author === 'visitor' ? (visitorName ?? '') : m.author} · {time(m.sentAt)}
              </span>
              <p>{m.text ?? <em>{t('messages.unreadable')}</em>}</p>
            </li>
          ))}
        </ol>
      )}
      {quickReplies.length > 0 && (
        <div class="quick-replies" role="group" aria-label={t('messages.quickReplies')}>
          {quickReplies.map((q) => (
            <button key={q} type="button" class="secondary" disabled={sending} onClick={() => void send(q, false)}>
              {q}
            </button>
          ))}
        </div>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void send(draft, true);
        }}
      >
        <label class="field">
          <span>{label}</span>
          {/* No maxLength: a longer text gets the explanation rather than being cut silently. */}
          <textarea rows={2} value={draft} onInput={(e) => setDraft((e.currentTarget as HTMLTextAreaElement).value)} />
        </label>
        <button type="submit" class="secondary" disabled={sending}>
          {t('chat.send')}
        </button>
      </form>
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      <p class="muted small">{t('messages.note')}</p>
    </div>
  );
}
