import { z } from 'zod';
import type { types as webrtc } from 'mediasoup-client';

/** Bidi overrides and isolates can make a name render as something else on the professional's screen. */
const FORBIDDEN_IN_NAMES = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;

export const NAME_MAX = 100;

/** A person's display name as typed by a visitor: trimmed, 1..100 characters, no control characters. */
export const personName = z
  .string({ error: (issue) => (issue.input === undefined ? 'name_required' : 'name_invalid_characters') })
  .transform((s) => s.trim())
  .pipe(
    z
      .string()
      .min(1, { error: 'name_required' })
      .max(NAME_MAX, { error: 'name_too_long' })
      .refine((s) => !FORBIDDEN_IN_NAMES.test(s), { error: 'name_invalid_characters' }),
  );

/** Our ids: 128 random bits, hex. */
export const id = z.string().regex(/^[0-9a-f]{32}$/);

export const MESSAGE_MAX = 1000;
/** Control characters other than line breaks, and the bidi controls that can disguise text. */
const FORBIDDEN_IN_MESSAGES = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/u;

/** A short text from a professional to a visitor (a reason for a denial): 1..1000 characters, no control characters. */
export const professionalMessage = z
  .string()
  .transform((s) => s.trim())
  .pipe(
    z
      .string()
      .min(1, { error: 'message_required' })
      .max(MESSAGE_MAX, { error: 'message_too_long' })
      .refine((s) => !FORBIDDEN_IN_MESSAGES.test(s), { error: 'message_invalid_characters' }),
  );

export const roomSlug = z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/);

export const email = z.string().trim().toLowerCase().max(254).pipe(z.email());

export const password = z.string().min(1).max(256);

/**
 * WebRTC parameters are produced by mediasoup-client and consumed by mediasoup, which checks them
 * itself; here we only bound their size and top-level shape so garbage never reaches the worker. Their
 * type is mediasoup-client's (a type-only import: nothing of it is bundled or run here), which mediasoup
 * on the server accepts as is, so neither side casts.
 */
const bounded = <T extends Record<string, unknown>>(maxChars: number) =>
  z
    .record(z.string(), z.unknown())
    .refine((v) => JSON.stringify(v).length <= maxChars, { error: 'too_large' })
    .pipe(z.custom<T>());

export const dtlsParameters = bounded<webrtc.DtlsParameters>(4_000);
export const rtpParameters = bounded<webrtc.RtpParameters>(16_000);
export const rtpCapabilities = bounded<webrtc.RtpCapabilities>(32_000);
export type { webrtc };

export const mediaKind = z.enum(['audio', 'video']);

export const networkRating = z.enum(['good', 'fair', 'poor']);
/** What a producer carries, so the other side can label it and show mute state. */
export const mediaSource = z.enum(['microphone', 'camera', 'screen']);
export type MediaSource = z.infer<typeof mediaSource>;

/** A call participant as the other participants know it: role and id, opaque to the SFU. */
export const peerId = z.string().regex(/^(visitor|professional):[0-9a-f]{32}$/);

/** A call participant's peer id: their role and their visitor or professional id. */
export const peerIdOf = (role: 'visitor' | 'professional', id: string) => `${role}:${id}`;

/** The visitor id in a visitor's peer id (to send that visitor back to the waiting room); null for others. */
export const visitorIdOfPeer = (peer: string): string | null => (peer.startsWith('visitor:') ? peer.slice('visitor:'.length) : null);

/** The professional id in a professional's peer id; null for others. */
export const professionalIdOfPeer = (peer: string): string | null => (peer.startsWith('professional:') ? peer.slice('professional:'.length) : null);

/**
 * End-to-end encryption material the server passes on and never reads: a participant's public key
 * (P-256, raw, base64url; room for other curves) and sealed key or chat messages, bounded in size only.
 */
export const publicKey = z.string().regex(/^[A-Za-z0-9_-]{40,200}$/);
export const sealedKeyMessage = z.string().regex(/^[A-Za-z0-9_-]{16,1024}$/);
/** Up to 2000 characters of text, sealed. */
export const sealedChatMessage = z.string().regex(/^[A-Za-z0-9_-]{16,12000}$/);

/**
 * A message to or from a waiting visitor, sealed for one reader: at most what MESSAGE_MAX characters make
 * (4 bytes each in UTF-8, plus IV and tag, in base64url), so a longer text is refused though the server
 * cannot read it. Its text is checked (length, control characters) by the sender and again by each reader.
 */
export const WAITING_MESSAGE_BLOB_MAX = Math.ceil(((MESSAGE_MAX * 4 + 12 + 16) * 4) / 3);
export const sealedWaitingMessage = z
  .string()
  .max(WAITING_MESSAGE_BLOB_MAX, { error: 'message_too_long' })
  .regex(/^[A-Za-z0-9_-]{16,}$/);
/** Who a sealed copy is for: the visitor, or one professional's dashboard (its device id). */
export const messageReader = z.union([z.literal('visitor'), id]);
/** One sealed copy per reader: the visitor and each dashboard of the room's professionals (bounded). */
export const sealedCopies = z
  .array(z.strictObject({ to: messageReader, blob: sealedWaitingMessage }))
  .min(1)
  .max(64)
  .refine((copies) => new Set(copies.map((c) => c.to)).size === copies.length, { error: 'one copy per reader' });
