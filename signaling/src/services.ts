import type { Redis } from 'ioredis';
import type { MediaServer } from '../../sfu/src/index.ts';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import type { OrganizationStore } from './organizations/organization-store.ts';
import type { WaitingRoomStore } from './waiting-room/waiting-room-store.ts';
import type { CallStore } from './calls/call-store.ts';
import type { SessionStore } from './auth/session-store.ts';
import type { SecondFactorStore } from './auth/second-factor.ts';
import type { ConsultationStore } from './consultations/consultation-store.ts';
import type { RateLimiter } from './http/rate-limiter.ts';
import type { Notifier } from './socket/notifier.ts';
import type { FieldCipher } from './crypto/field-cipher.ts';
import type { PaymentService } from './payments/payment-service.ts';
import type { NetworkCheckStore } from './network-check/network-check-store.ts';
import type { AuditLog } from './audit/audit-log.ts';
import type { ConsultationEvents } from './events/consultation-events.ts';
import type { DomainEvents } from './events/domain-events.ts';
import type { Webhooks } from './webhooks/webhook-outbox.ts';
import type { ApiKeyStore } from './api/api-key-store.ts';
import type { Embedding } from './embedding/embedding.ts';
import type { Readiness } from './observability/readiness.ts';
import type { EmailSender } from './email/email-sender.ts';
import type { Clock } from './clock.ts';

/**
 * Where this process is in its life. `shuttingDown` turns true on the first SIGTERM/SIGINT and never back:
 * readiness reports it, and nothing new (check-ins, socket connections) starts here after it.
 */
export interface Lifecycle {
  shuttingDown: boolean;
}

/** What every feature may use; built once in server.ts. */
export interface Services {
  config: Config;
  log: Logger;
  redis: Redis;
  organizations: OrganizationStore;
  waitingRoom: WaitingRoomStore;
  calls: CallStore;
  sessions: SessionStore;
  secondFactor: SecondFactorStore;
  consultations: ConsultationStore;
  rateLimiter: RateLimiter;
  media: MediaServer;
  notify: Notifier;
  /** Personal fields at rest (AES-GCM, keys from DATA_ENCRYPTION_KEYS). */
  fieldCipher: FieldCipher;
  payments: PaymentService;
  networkChecks: NetworkCheckStore;
  /** Each organization's hash-chained audit log: `record` what was done, by whom, to which id. */
  audit: AuditLog;
  /** What happened to consultations: moves their progress and feeds the webhook outbox (hears `domainEvents`). */
  events: ConsultationEvents;
  /** The state changes of visits and calls, published after each is stored; their side effects subscribe. */
  domainEvents: DomainEvents;
  /** Webhook endpoints and deliveries, and the outbox every process delivers from. */
  webhooks: Webhooks;
  /** The organizations' API keys (REST API v1), by hash. */
  apiKeys: ApiKeyStore;
  /** EHR embedding: single-use professional links, embedded sessions, the origins that may frame pages. */
  embedding: Embedding;
  /** E-mail to visitors and members (invitations, reminders, receipts); `available` false without SMTP settings. */
  email: EmailSender;
  lifecycle: Lifecycle;
  /** The time our own timers keep (call lengths, abandoned calls' grace, session re-checks); tests move it. */
  clock: Clock;
  /** Whether this process takes new visitors (/readyz); the graceful stop marks it shutting down first. */
  readiness: Readiness;
}
