import type { CallContext } from './call-socket.ts';
import type { ChatMessage } from './call-snapshot.ts';
import type { CallEncryption } from './e2ee/call-encryption.ts';
import { MAX_CHAT_TEXT } from './e2ee/chat-crypto.ts';

/** The call's text messages, each sealed with the sender's chat key: the server relays only ciphertext. */
export class CallChat {
  readonly messages: ChatMessage[] = [];

  constructor(
    private readonly call: CallContext,
    private readonly encryption: CallEncryption,
    private readonly encrypted: () => boolean,
  ) {}

  /** Sends a text message to everyone else in the call, sealed with this browser's chat key. */
  async send(text: string): Promise<void> {
    const trimmed = text.trim();
    if (!trimmed) return;
    if (trimmed.length > MAX_CHAT_TEXT) throw new Error(`at most ${MAX_CHAT_TEXT} characters`);
    if (!this.encrypted()) throw new Error('chat needs an encrypted call');
    const blob = await this.encryption.sealChat(trimmed);
    const { sentAt } = await this.call.ask('chat:send', { callId: this.call.callId, blob });
    this.messages.push({ from: null, text: trimmed, sentAt });
    this.call.changed();
  }

  async received(from: string, blob: string, sentAt: number): Promise<void> {
    const text = this.encrypted() ? await this.encryption.openChat(from, blob) : null;
    this.messages.push({ from, text, sentAt });
    this.call.changed();
  }
}
