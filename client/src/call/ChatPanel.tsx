import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { CallEngine, CallSnapshot } from '../call-engine/call-engine.ts';
import { MAX_CHAT_TEXT } from '../call-engine/e2ee/chat-crypto.ts';
import type { Translate } from './call-strings.ts';
import { CloseIcon } from './icons.tsx';

/**
 * Text messages in the call, end-to-end encrypted like the media; nothing is kept after the call. On a
 * phone it is a sheet over the call, opened from the controls (`open`); `onClose` closes it (its button,
 * or Escape). Opened, it takes the focus, so a screen reader or keyboard goes on where it appeared.
 */
export function ChatPanel({ id, engine, call, t, open, onClose }: { id?: string; engine: CallEngine; call: CallSnapshot; t: Translate; open?: boolean; onClose?: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  // (Layout effects: in place before the opened sheet is painted, so a key pressed as soon as it shows is heard.)
  useLayoutEffect(() => {
    if (open) heading.current?.focus();
  }, [open]);
  // Escape closes the open sheet wherever the focus is.
  useLayoutEffect(() => {
    if (!open || !onClose) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [open, onClose]);
  const [text, setText] = useState('');
  const [failed, setFailed] = useState(false);
  const nameOf = (from: string | null) => (from === null ? t('chat.you') : call.remotes.find((r) => r.peer.id === from)?.peer.name ?? '');
  const canSend = call.encryption.mode === 'end-to-end' && call.encryption.keyIndex !== undefined;

  const send = async (e: Event) => {
    e.preventDefault();
    if (!text.trim()) return;
    try {
      await engine.sendChat(text);
      setText('');
      setFailed(false);
    } catch {
      setFailed(true);
    }
  };

  return (
    <section
      id={id}
      class="chat"
      aria-labelledby="chat-heading"
    >
      <div class="chat-head">
        <h2 id="chat-heading" ref={heading} tabIndex={-1}>
          {t('chat.title')}
        </h2>
        {onClose && (
          <button type="button" class="close secondary" aria-label={t('chat.close')} onClick={onClose}>
            <CloseIcon />
          </button>
        )}
      </div>
      <p class="hint">{t('chat.note')}</p>
      <ol class="messages" aria-live="polite">
        {call.chat.map((m, i) => (
          <li key={i} class={m.from === null ? 'mine' : 'theirs'}>
            <strong>{nameOf(m.from)}: </strong>
            {m.text ?? <em>{t('chat.undecryptable')}</em>}
          </li>
        ))}
      </ol>
      <form onSubmit={(e) => void send(e)}>
        <label>
          {t('chat.label')}
          <input value={text} maxLength={MAX_CHAT_TEXT} autocomplete="off" onInput={(e) => setText((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" disabled={!canSend}>
          {t('chat.send')}
        </button>
      </form>
      {failed && <p role="alert">{t('chat.failed')}</p>}
    </section>
  );
}
