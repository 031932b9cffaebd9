import http from 'node:http';
import https from 'node:https';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Server as SocketServer } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { EMBED_NAMESPACE, NAMESPACE, NETWORK_CHECK_NAMESPACE } from '../protocol/index.ts';
import { MediaServer } from '../../sfu/src/index.ts';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import { connectRedis, sendEachBatchAtOnce } from './redis/connection.ts';
import { loadEveryScript } from './lua-scripts.ts';
import { foldCommaLists } from './lifecycle/comma-lists-to-sets.ts';
import { OrganizationStore } from './organizations/organization-store.ts';
import { WaitingRoomStore } from './waiting-room/waiting-room-store.ts';
import { CallStore } from './calls/call-store.ts';
import { SessionStore } from './auth/session-store.ts';
import { SecondFactorStore } from './auth/second-factor.ts';
import { ConsultationStore } from './consultations/consultation-store.ts';
import { SmsAlerts, smsAlertsOn } from './alerts/sms-alerts.ts';
import { SmsSender } from './alerts/sms-sender.ts';
import { InvitationSms } from './consultations/invitation-sms.ts';
import { ConsultationInvitations } from './consultations/invitations.ts';
import { Reminders } from './consultations/reminders.ts';
import { alertRoutes } from './alerts/alert-routes.ts';
import { consultationRoutes } from './consultations/consultation-routes.ts';
import { secondFactorRoutes } from './auth/second-factor-routes.ts';
import { RateLimiter } from './http/rate-limiter.ts';
import { Notifier } from './socket/notifier.ts';
import { CallService } from './calls/call-service.ts';
import { securityHeaders } from './http/security-headers.ts';
import { requireSameOrigin } from './http/request-guards.ts';
import { errorHandler } from './http/error-handler.ts';
import { staticApps } from './http/static-apps.ts';
import { refuseMalformedPaths } from './http/malformed-paths.ts';
import { roomRoutes } from './rooms/room-routes.ts';
import { checkInRoutes } from './check-in/check-in-routes.ts';
import { authRoutes } from './auth/auth-routes.ts';
import { historyRoutes } from './history/history-routes.ts';
import { adminRoutes } from './admin/admin-routes.ts';
import { InvitationStore } from './admin/invitation-store.ts';
import { mediaRoutes } from './calls/media-routes.ts';
import { attachVisitorNamespace } from './waiting-room/visitor-socket.ts';
import { attachNetworkCheckNamespace } from './network-check/network-check-socket.ts';
import { NetworkCheckStore } from './network-check/network-check-store.ts';
import { WaitingMessages } from './messages/message-handlers.ts';
import { accessCodeRoutes } from './check-in/access-codes.ts';
import { VisitorPresence } from './waiting-room/visitor-presence.ts';
import { attachProfessionalNamespace } from './waiting-room/professional-socket.ts';
import { PaymentService } from './payments/payment-service.ts';
import { stripeFromConfig } from './payments/stripe-client.ts';
import { adminPaymentRoutes } from './payments/admin-payment-routes.ts';
import { paymentRoutes, stripeWebhookRoutes } from './payments/payment-routes.ts';
import { AppError } from './errors.ts';
import { FieldCipher } from './crypto/field-cipher.ts';
import { PurgeJob } from './retention/purge-job.ts';
import { dataRightsRoutes } from './data-rights/data-rights-routes.ts';
import { VisitorRecords } from './data-rights/visitor-records.ts';
import { readVisitorIdentity } from './bankid/visitor-identity.ts';
import { BankId } from './bankid/bankid.ts';
import { bankIdRoutes } from './bankid/bankid-routes.ts';
import { bankIdAdminRoutes } from './bankid/bankid-admin-routes.ts';
import { privacyRoutes } from './privacy/privacy-routes.ts';
import { AuditLog } from './audit/audit-log.ts';
import { auditRoutes } from './audit/audit-routes.ts';
import { ConsultationEvents, consultationEventsOn } from './events/consultation-events.ts';
import { DomainEvents } from './events/domain-events.ts';
import { notifyOn } from './socket/notify-on-events.ts';
import { prepareMediaOn } from './calls/media-on-events.ts';
import { placesOn } from './waiting-room/places-on-events.ts';
import { auditOn } from './audit/audit-on-events.ts';
import { settleOn } from './payments/settle-visits.ts';
import { Webhooks } from './webhooks/webhook-outbox.ts';
import { webhookRoutes } from './webhooks/webhook-routes.ts';
import { ApiKeyStore } from './api/api-key-store.ts';
import { apiKeyRoutes } from './api/api-key-routes.ts';
import { apiV1 } from './api/api-v1.ts';
import { professionalLinkApiRoute } from './embedding/professional-link-api.ts';
import { Embedding } from './embedding/embedding.ts';
import { emailFromConfig, EmailOutbox } from './email/email-outbox.ts';
import { receiptsOn } from './email/receipts.ts';
import { emailRoutes } from './email/email-routes.ts';
import { embeddingRoutes } from './embedding/embedding-routes.ts';
import { frameAncestors } from './embedding/embed-origins.ts';
import { attachEmbeddedProfessionalNamespace, type EmbeddedProfessionalNamespace } from './embedding/embedded-professional-socket.ts';
import type { Lifecycle, Services } from './services.ts';
import { systemClock, type Clock } from './clock.ts';
import { GracefulStop } from './lifecycle/graceful-stop.ts';
import { Readiness } from './observability/readiness.ts';
import { healthRoutes } from './observability/health-routes.ts';
import { observe } from './observability/observe.ts';
import { timeHttpRequests } from './observability/http-metrics.ts';
import { metricsRoute, startMetricsServer } from './observability/metrics-access.ts';
import { logRedisConnection } from './observability/redis-connection-log.ts';
import type { ProfessionalNamespace, VisitorNamespace } from './socket/types.ts';

export interface RunningServer {
  url: string;
  services: Services;
  /** The HTTP app, for tests that walk its routes (test-support/routes.ts). */
  app: express.Express;
  purge: PurgeJob;
  /** The reminder job of this process (tests run passes themselves, with their own clock). */
  reminders: Reminders;
  /** Waiting visitors' connections and grace periods (tests with their own clock run heartbeats and sweeps). */
  presence: VisitorPresence;
  /** Closes at once: for tests and for a start that failed half-way. */
  /** Where the metrics are served when they have a port of their own (METRICS_PORT). */
  metricsUrl?: string;
  close(): Promise<void>;
  /**
   * What SIGTERM does (see lifecycle/graceful-stop.ts): not ready at once, connections outside calls sent
   * elsewhere, calls given SHUTDOWN_GRACE_SECONDS, then close().
   */
  stop(): Promise<void>;
}

/**
 * `opts.now`: the clock of presence deadlines, for tests that make the grace period pass rather than wait it out.
 * `opts.authenticatorNow`: the clock the second factor's codes are checked against, for tests that need a
 * fresh time step rather than wait 30 s for one.
 * `opts.clock`: the time our own timers keep (call lengths, abandoned calls, session re-checks), for tests
 * that move it rather than wait.
 */
export async function startServer(
  config: Config,
  log: Logger,
  opts: { now?: () => number; authenticatorNow?: () => number; clock?: Clock } = {},
): Promise<RunningServer> {
  const redis = connectRedis(config.REDIS_URL);
  // A script Redis cannot compile stops the start here, named, rather than failing the first visitor.
  try {
    await loadEveryScript(redis);
    // Records written before their ids were sets (read in one form only from here).
    const moved = await foldCommaLists(redis);
    if (moved) log.info({ moved }, 'ids of older records moved into sets');
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  const media = await MediaServer.start(
    {
      workers: config.MEDIA_WORKERS,
      listenIp: config.RTC_LISTEN_IP,
      announcedIp: config.RTC_ANNOUNCED_IP,
      rtcMinPort: config.RTC_MIN_PORT,
      rtcMaxPort: config.RTC_MAX_PORT,
      webRtcPortBase: config.RTC_PORT_BASE,
      logLevel: 'warn',
    },
    log,
  );

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  const httpServer =
    config.TLS_CERT_FILE && config.TLS_KEY_FILE
      ? https.createServer({ cert: fs.readFileSync(config.TLS_CERT_FILE), key: fs.readFileSync(config.TLS_KEY_FILE) }, app)
      : http.createServer(app);

  const lifecycle: Lifecycle = { shuttingDown: false };
  const io = new SocketServer(httpServer, {
    serveClient: false,
    maxHttpBufferSize: 100_000,
    // A connection that went silent (network gone, laptop lid) is noticed within 15 s rather than 45 s:
    // a waiting visitor's grace period starts from there, and the dashboard shows "connection lost".
    pingInterval: 10_000,
    pingTimeout: 5_000,
    transports: ['websocket', 'polling'],
    // Browsers send Origin on WebSocket handshakes and cross-site requests; same-origin polling GETs
    // carry Sec-Fetch-Site instead. Anything else (another site's page, a foreign Origin) is refused.
    allowRequest: (req, callback) => {
      // A stopping process takes no new connection; the client tries again and reaches a ready one.
      if (lifecycle.shuttingDown) return callback('shutting_down', false);
      const origin = req.headers.origin;
      const allowed = origin ? config.allowedOrigins.includes(origin) : req.headers['sec-fetch-site'] === 'same-origin';
      callback(null, allowed);
    },
  });
  // The subscriber without auto-pipelining, so the adapter's unsubscribe at close goes out before our QUIT
  // (with it, the unsubscribe waits for the next tick, finds the connection closed and rejects with nobody
  // listening). The publisher with it: what one turn broadcasts (a line told its places) is one write,
  // not one per message; its last batch leaves before its QUIT (close, below).
  const pub = redis.duplicate({ enableAutoPipelining: true });
  sendEachBatchAtOnce(pub);
  const sub = redis.duplicate({ enableAutoPipelining: false });
  io.adapter(createAdapter(pub, sub));
  logRedisConnection(redis, 'main', log);
  logRedisConnection(pub, 'publish', log);
  logRedisConnection(sub, 'subscribe', log);

  const notify = new Notifier(io.of(NAMESPACE.visitor) as VisitorNamespace, io.of(NAMESPACE.professional) as ProfessionalNamespace);
  const idleMs = config.SESSION_IDLE_MINUTES * 60_000;
  const fieldCipher = FieldCipher.fromSetting(config.DATA_ENCRYPTION_KEYS);
  const events = new ConsultationEvents(redis, fieldCipher, log);
  const domainEvents = new DomainEvents(log);
  const organizations = new OrganizationStore(redis, fieldCipher, config.ADDRESS_HASH_KEY);
  const services: Services = {
    config,
    log,
    redis,
    media,
    notify,
    organizations,
    waitingRoom: new WaitingRoomStore(redis, fieldCipher, (orgId, fields) => readVisitorIdentity({ fieldCipher, log }, orgId, fields)),
    calls: new CallStore(redis),
    sessions: new SessionStore(redis, idleMs, config.SESSION_MAX_HOURS * 3600_000),
    secondFactor: new SecondFactorStore(redis, fieldCipher, config.ADDRESS_HASH_KEY, opts.authenticatorNow),
    consultations: new ConsultationStore(redis, fieldCipher, config.ADDRESS_HASH_KEY),
    rateLimiter: new RateLimiter(redis, config.ADDRESS_HASH_KEY),
    fieldCipher,
    payments: new PaymentService(redis, stripeFromConfig(config), log, domainEvents),
    networkChecks: new NetworkCheckStore(redis),
    audit: new AuditLog(redis, log, fieldCipher, config.AUDIT_ANCHOR_FILE),
    events,
    domainEvents,
    webhooks: new Webhooks(redis, fieldCipher, config, log),
    apiKeys: new ApiKeyStore(redis),
    embedding: new Embedding(redis, config),
    email: emailFromConfig(redis, fieldCipher, organizations, config, log),
    lifecycle,
    readiness: new Readiness(redis, media, lifecycle),
    clock: opts.clock ?? systemClock,
  };
  // What follows from a state change, in the order each stage runs it: an admitted visitor's media is
  // made ready and the browsers are told first, the audit entry and the webhook event are kept, the card
  // payment is settled.
  prepareMediaOn(domainEvents, services);
  notifyOn(domainEvents, services);
  placesOn(domainEvents, services);
  auditOn(domainEvents, services.audit);
  consultationEventsOn(domainEvents, events);
  settleOn(domainEvents, services);
  receiptsOn(domainEvents, services);
  // Hearing an event only adds it to the outbox (one round trip), and only for an organization with an
  // endpoint (asked with the event's own reads); delivery runs beside, in every process.
  services.events.subscribe(
    (event) => services.webhooks.outbox.enqueue(event),
    (orgId) => services.webhooks.store.hasEndpoints(orgId),
  );
  // The professionals' lists of upcoming consultations follow a booking or a cancellation (by anyone).
  services.events.subscribe(async (event) => {
    if ((event.type === 'consultation.created' || event.type === 'consultation.cancelled') && event.consultationId && event.data.roomId) {
      notify.consultationChanged(event.organizationId, event.data.roomId, { consultationId: event.consultationId, ...(event.data.cancelledBy ? { cancelledBy: event.data.cancelledBy } : {}) });
    }
  });
  services.webhooks.outbox.start();
  if (services.email instanceof EmailOutbox) services.email.start();
  services.audit.anchors.start();
  const callService = new CallService(services);
  const stopper = new GracefulStop(services, io, callService);
  const presence = new VisitorPresence(services, opts.now);
  const messages = new WaitingMessages(services);
  const smsSender = SmsSender.fromConfig(config);
  const purge = new PurgeJob(services, smsSender);
  purge.start();
  const smsAlerts = new SmsAlerts(services, smsSender);
  smsAlertsOn(domainEvents, smsAlerts, log);
  const invitationSms = new InvitationSms(services, smsSender);
  const reminders = new Reminders(services, invitationSms);
  reminders.start();
  attachVisitorNamespace(notify.visitors, services, callService, presence, messages);
  attachProfessionalNamespace(notify.professionals, services, callService, messages);
  attachNetworkCheckNamespace(io.of(NETWORK_CHECK_NAMESPACE), services);
  const embeddedProfessionals = io.of(EMBED_NAMESPACE) as EmbeddedProfessionalNamespace;
  notify.embeddedProfessionals = embeddedProfessionals;
  attachEmbeddedProfessionalNamespace(embeddedProfessionals, services, callService);

  const metrics = observe(services, io, callService, smsSender);
  // Probes first: they must answer whatever the rest of the stack is doing (and are not timed).
  app.use(healthRoutes(services.readiness));
  app.use(timeHttpRequests(metrics.httpRequestSeconds));
  if (!config.METRICS_PORT) app.use(metricsRoute(metrics, config.METRICS_TOKEN));
  // Who may frame an organization's embeddable pages, decided before the security headers are written.
  app.use(frameAncestors(services, services.embedding.origins));
  app.use(securityHeaders(config.cookieSecure, { stripe: services.payments.available }));
  app.use(refuseMalformedPaths(config));
  app.use(stripeWebhookRoutes(services));
  app.use(express.json({ limit: '16kb' }));
  // REST API v1 for EHR servers: bearer API keys only (never cookies), so before the browsers' same-origin
  // guard (servers send no Origin, and a bearer key cannot be ridden by another site's page).
  app.use(apiV1(services, smsSender, [professionalLinkApiRoute()]).router);
  app.use('/api', requireSameOrigin(config.allowedOrigins));
  app.use(roomRoutes(services));
  app.use(checkInRoutes(services));
  app.use(authRoutes(services));
  app.use(secondFactorRoutes(services));
  app.use(historyRoutes(services));
  app.use(consultationRoutes(services, new ConsultationInvitations(services, invitationSms, reminders)));
  app.use(accessCodeRoutes(services));
  app.use(alertRoutes(services, smsAlerts));
  app.use(dataRightsRoutes(services, new VisitorRecords(services, smsAlerts)));
  app.use(adminRoutes(services, new InvitationStore(redis, config.ADDRESS_HASH_KEY)));
  app.use(mediaRoutes(services));
  const bankId = new BankId(services);
  app.use(bankIdRoutes(services, bankId));
  app.use(bankIdAdminRoutes(services, bankId));
  app.use(paymentRoutes(services));
  app.use(adminPaymentRoutes(services));
  app.use(emailRoutes(services));
  app.use(privacyRoutes(services));
  app.use(auditRoutes(services));
  app.use(webhookRoutes(services));
  app.use(apiKeyRoutes(services));
  app.use(embeddingRoutes(services));
  app.use(staticApps(config));
  app.use('/api', (_req, _res, next) => next(new AppError('not_found', 'no such endpoint')));
  app.use(errorHandler(log));

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.PORT, config.HOST, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  const scheme = config.TLS_CERT_FILE ? 'https' : 'http';
  const url = `${scheme}://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
  log.info({ url }, 'server listening');
  const metricsServer = config.METRICS_PORT
    ? await startMetricsServer(metrics, log, { host: config.HOST, port: config.METRICS_PORT, token: config.METRICS_TOKEN })
    : undefined;

  const running: RunningServer = {
    url,
    app,
    services,
    purge,
    reminders,
    presence,
    stop: () => stopper.stop(() => running.close()),
    metricsUrl: metricsServer?.url,
    async close() {
      await metricsServer?.close();
      await purge.stop();
      await reminders.stop();
      await services.webhooks.outbox.stop();
      if (services.email instanceof EmailOutbox) await services.email.stop();
      await presence.close();
      services.audit.anchors.stop();
      callService.close();
      notify.closed = true;
      // io.close() closes this process's sockets in every namespace. (io.disconnectSockets() would go
      // through the Redis adapter and close the sockets of every other signaling process too.)
      await new Promise<void>((resolve) => io.close(() => resolve()));
      // Audit entries held back for a visitor's join that never came are written before Redis goes.
      await domainEvents.flush();
      media.close();
      // QUIT is never batched: the batches of this turn leave first (the next turn's first thing).
      await new Promise((resolve) => setImmediate(resolve));
      await Promise.allSettled([redis.quit(), pub.quit(), sub.quit()]);
    },
  };
  return running;
}
