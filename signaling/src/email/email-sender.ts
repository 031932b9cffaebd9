import type { Language } from '../../protocol/index.ts';
import { AppError } from '../errors.ts';

/**
 * What the service sends by e-mail, one kind each. Only a link, a time and the organization's name ever
 * go in one: never health data, a national id, a room's specialty or the visitor's name.
 */
export type EmailMessage =
  | {
      kind: 'consultation-invitation';
      consultationId: string;
      to: string;
      language: Language;
      /** Null: any time (the invitation carries no calendar file then). */
      scheduledAt: number | null;
      /** The visitor's private link (it also lets them cancel). */
      link: string;
    }
  | {
      kind: 'consultation-reminder';
      consultationId: string;
      to: string;
      language: Language;
      scheduledAt: number;
      link: string;
      /** Which reminder: how many minutes before the consultation it was due. */
      minutesBefore: number;
    }
  | {
      /** A card payment for a consultation was settled: what was paid, when, to whom. */
      kind: 'payment-receipt';
      consultationId: string;
      to: string;
      language: Language;
      /** In the currency's minor unit (øre, cents), as Stripe counts it. */
      amount: number;
      /** ISO 4217, e.g. NOK. */
      currency: string;
      paidAt: number;
    }
  | {
      /** An admin invited someone to join the organization: the link (the code goes another way). */
      kind: 'member-invitation';
      to: string;
      language: Language;
      link: string;
      expiresAt: number;
    };

/**
 * The way out for e-mail. `enqueue` stores the message for delivery and answers at once; delivery retries
 * with backoff until the SMTP server accepts it or it is given up (shown as failed on the consultation).
 * A message about a consultation that is cancelled by the time it would go is not sent.
 */
export interface EmailSender {
  /** False when no SMTP server is set up: the settings page says so, and e-mail is refused (email_unavailable). */
  readonly available: boolean;
  /** Answers the message's id. The same `dedupeKey` twice queues one message (reminders across processes). */
  enqueue(orgId: string, message: EmailMessage, options?: { dedupeKey?: string }): Promise<string>;
  /** What became of a consultation's e-mails, oldest first (for the professional's view of it). */
  deliveriesOf(orgId: string, consultationId: string): Promise<EmailDelivery[]>;
  /** The address and language a consultation's visitor was last written to (their receipt goes there), or null. */
  recipientOf(orgId: string, consultationId: string): Promise<{ to: string; language: Language } | null>;
}

export interface EmailDelivery {
  messageId: string;
  kind: EmailMessage['kind'];
  /**
   * `failed`: the SMTP server refused it, or was down through every retry. `dropped`: not sent, because
   * its consultation was cancelled or had ended by the time it would have gone.
   */
  status: 'queued' | 'sent' | 'failed' | 'dropped';
  /** When it reached that status (ms). */
  at: number;
}

/** The server without SMTP settings: every e-mail is refused with a clear error, nothing is queued. */
export class EmailOff implements EmailSender {
  readonly available = false;
  async enqueue(): Promise<string> {
    throw new AppError('email_unavailable', 'e-mail is not set up on this server');
  }
  async deliveriesOf(): Promise<EmailDelivery[]> {
    return [];
  }
  async recipientOf(): Promise<null> {
    return null;
  }

}
