/**
 * Every Redis key in one place. Keys about an organization's data carry `{org:<id>}` as a hash tag, so an
 * organization's keys share a Redis Cluster slot and multi-key scripts stay legal there.
 */
const tag = (orgId: string) => `{org:${orgId}}`;

export const keys = {
  organization: (orgId: string) => `${tag(orgId)}:org`,
  /** SCAN pattern for every key of an organization (for rare whole-organization work only). */
  allOf: (orgId: string) => `${tag(orgId)}:*`,
  professional: (orgId: string, proId: string) => `${tag(orgId)}:pro:${proId}`,
  /** Set: the organization's members. */
  professionals: (orgId: string) => `${tag(orgId)}:pros`,
  room: (orgId: string, roomId: string) => `${tag(orgId)}:room:${roomId}`,
  rooms: (orgId: string) => `${tag(orgId)}:rooms`,
  /** Set: the professionals who belong to a room. */
  roomMembers: (orgId: string, roomId: string) => `${tag(orgId)}:room-members:${roomId}`,
  visitor: (orgId: string, visitorId: string) => `${tag(orgId)}:visitor:${visitorId}`,
  /** Set: the calls a visitor was admitted to (for their export and their erasure); expires with the visitor. */
  visitorCalls: (orgId: string, visitorId: string) => `${tag(orgId)}:visitor-calls:${visitorId}`,
  /** Set: the sids of SMS sent about a visitor (to delete Twilio's copies at their erasure); expires with the visitor. */
  visitorSms: (orgId: string, visitorId: string) => `${tag(orgId)}:visitor-sms:${visitorId}`,
  /** Sorted set: the organization's visitors by arrival, for admins to find one (trimmed by retention). */
  visitors: (orgId: string) => `${tag(orgId)}:visitors`,
  /** Sorted set: visitor id -> arrival time, for one room. */
  waiting: (orgId: string, roomId: string) => `${tag(orgId)}:waiting:${roomId}`,
  call: (orgId: string, callId: string) => `${tag(orgId)}:call:${callId}`,
  /** Set: who is in a call or asked into it (`visitor:<id>`, `professional:<id>`), for group calls. */
  callMembers: (orgId: string, callId: string) => `${tag(orgId)}:call-members:${callId}`,
  /** List: the sealed messages with one waiting visitor (ciphertext only), newest first. */
  visitorMessages: (orgId: string, visitorId: string) => `${tag(orgId)}:messages:${visitorId}`,
  /** Hash: dashboard device id -> its professional and public key for reading messages (expires with sessions). */
  messageDevices: (orgId: string) => `${tag(orgId)}:message-devices`,
  /** List: a call's technical data (network quality, in-call actions), newest first. */
  callTechnicalData: (orgId: string, callId: string) => `${tag(orgId)}:call-tech:${callId}`,
  /** An access code for a pseudonymous room, by the hash of the code: its room and label; expires with it. */
  accessCode: (orgId: string, codeHash: string) => `${tag(orgId)}:access-code:${codeHash}`,
  /** A scheduled consultation (its link's secret as a hash). */
  consultation: (orgId: string, consultationId: string) => `${tag(orgId)}:consultation:${consultationId}`,
  /**
   * Sorted set: the visitors who came with a consultation's link, in the order they came (the last one
   * holds the link); expires with the consultation.
   */
  consultationVisitors: (orgId: string, consultationId: string) => `${tag(orgId)}:consultation-visitors:${consultationId}`,
  /** Set: the sids of a consultation's invitation SMS (to delete Twilio's copies); expires with the consultation. */
  consultationSms: (orgId: string, consultationId: string) => `${tag(orgId)}:consultation-sms:${consultationId}`,
  /**
   * Sorted set: consultation id -> its time (scheduled, else created), which is also when its retention
   * starts, so the purge job trims it by score (the API's list).
   */
  consultations: (orgId: string) => `${tag(orgId)}:consultations`,
  /**
   * Sorted set: `<consultation id>:<minutes before>` -> when that reminder is due (or, while one process
   * sends it, when that process's lease ends). Ids only; trimmed with the consultations by retention.
   */
  reminders: (orgId: string) => `${tag(orgId)}:reminders`,
  /** Sorted set: the consultations with one external reference, by a keyed hash of it (the reference itself is encrypted); scored as above. */
  consultationsByReference: (orgId: string, referenceHash: string) => `${tag(orgId)}:consultation-ref:${referenceHash}`,
  /** Sorted set: reference hash -> the time of its oldest consultation, so the purge job finds the reference indexes to trim. */
  consultationReferences: (orgId: string) => `${tag(orgId)}:consultation-refs`,
  /**
   * Sorted set: the consultations a visitor was invited to by one phone number or e-mail address, by a
   * keyed hash of it (the invitee id; the number and address themselves are sealed on the consultation),
   * scored like the organization's consultations: how an admin finds someone invited who never checked in.
   */
  invitee: (orgId: string, inviteeId: string) => `${tag(orgId)}:invitee:${inviteeId}`,
  /** Sorted set: invitee id -> the time of its oldest consultation, so the purge job finds the invitee indexes to trim. */
  invitees: (orgId: string) => `${tag(orgId)}:invitees`,
  /** Hash: an API key (its name, the SHA-256 of its secret, when made and last used). Kept until revoked. */
  apiKey: (orgId: string, keyId: string) => `${tag(orgId)}:api-key:${keyId}`,
  /** Set: the organization's API key ids. */
  apiKeys: (orgId: string) => `${tag(orgId)}:api-keys`,
  /** List: the lengths (ms) of a room's most recent calls, for the visitors' wait estimate. */
  roomCallLengths: (orgId: string, roomId: string) => `${tag(orgId)}:call-lengths:${roomId}`,
  /** Sorted set: waiting visitor id -> when their place is lost unless their connection is back. */
  presence: (orgId: string) => `${tag(orgId)}:presence`,
  /** Sorted set: call id -> start time, one per professional. */
  history: (orgId: string, proId: string) => `${tag(orgId)}:history:${proId}`,
  /**
   * Sorted set: the calls one professional is asked into and has not joined or declined -> when asked.
   * Kept and trimmed like the calls (retention); a call's end, a join and a decline remove its entry.
   */
  callInvitations: (orgId: string, proId: string) => `${tag(orgId)}:call-invitations:${proId}`,
  session: (orgId: string, sessionHash: string) => `${tag(orgId)}:session:${sessionHash}`,
  /** A code sent to a professional's phone to prove it is theirs (10 minutes). */
  smsVerification: (orgId: string, proId: string) => `${tag(orgId)}:sms-verify:${proId}`,
  /** Sorted set: the sids of SMS sent about visitors -> when, to delete Twilio's copies when retention passes. */
  sentSms: (orgId: string) => `${tag(orgId)}:sms-sent`,
  /** Present while a professional may not get another arrival SMS. */
  smsThrottle: (orgId: string, proId: string) => `${tag(orgId)}:sms-throttle:${proId}`,
  /** Set: hashes of a member's unused recovery codes for the second factor. */
  recoveryCodes: (orgId: string, proId: string) => `${tag(orgId)}:recovery:${proId}`,
  /**
   * Set: the session hashes of one member, login and embedded sessions alike (expires with the longest a
   * session may live), so removing the member, resetting their password or closing the organization ends all.
   */
  professionalSessions: (orgId: string, proId: string) => `${tag(orgId)}:pro-sessions:${proId}`,
  /** A pending invitation, by the hash of its secret; expires after 72 hours. */
  invitation: (orgId: string, secretHash: string) => `${tag(orgId)}:invitation:${secretHash}`,
  /** Hash: the organization's BankID broker (its client secret as field-cipher ciphertext). */
  bankIdSettings: (orgId: string) => `${tag(orgId)}:bankid`,
  /** A member's bound BankID identity, by its keyed hash: the member's id. */
  bankIdMember: (orgId: string, identityHash: string) => `${tag(orgId)}:bankid-member:${identityHash}`,
  /** A member's BankID identity waiting for an admin's approval (its keyed hash); expires after 7 days. */
  bankIdPending: (orgId: string, proId: string) => `${tag(orgId)}:bankid-pending:${proId}`,
  /** A visitor's card payment (its Stripe intent, amount, status, the settle decision): the visitor's retention TTL. */
  payment: (orgId: string, visitorId: string) => `${tag(orgId)}:payment:${visitorId}`,
  /** Sorted set: visitors whose authorized card is not settled yet -> when it was authorized (the purge job's safety net). */
  unsettledPayments: (orgId: string) => `${tag(orgId)}:unsettled-payments`,
  /**
   * The bookkeeping record of a payment (amount, currency, Stripe id, dates, status; no name, no phone, no
   * visitor): kept past the visitor's retention, until the end of the payment's financial year plus the
   * organization's bookkeeping period (its own TTL, set when written).
   */
  transaction: (orgId: string, paymentId: string) => `${tag(orgId)}:transaction:${paymentId}`,
  /** Sorted set: payment id -> when its bookkeeping record expires, for the admins' list. */
  transactions: (orgId: string) => `${tag(orgId)}:transactions`,
  /** A Stripe webhook event already applied (by event id): 30 days, longer than Stripe retries one. */
  stripeEvent: (orgId: string, eventId: string) => `${tag(orgId)}:stripe-event:${eventId}`,
  /** Stream: the organization's audit log, hash-chained; trimmed by time to its own retention (audit/). */
  audit: (orgId: string) => `${tag(orgId)}:audit`,
  /** Hash: the audit chain's head (the last entry's id and hash), read and moved by every append. */
  auditHead: (orgId: string) => `${tag(orgId)}:audit-head`,
  /** Hash: the id and hash of the last audit entry trimmed away, where verification starts. */
  auditCheckpoint: (orgId: string) => `${tag(orgId)}:audit-checkpoint`,
  /**
   * Hash: the sealed client addresses of audit entries (the entry holds only a commitment to its address, so
   * a key rotation can re-seal them without touching the chain): commitment -> sealed nonce and address, or,
   * for an entry written before commitments, its id -> the copy a key rotation made. Trimmed with the log.
   */
  auditAddresses: (orgId: string) => `${tag(orgId)}:audit-addresses`,
  /** List: the organization's most recent audit anchors (JSON), newest first, for its admins to see. */
  auditAnchors: (orgId: string) => `${tag(orgId)}:audit-anchors`,
  /** Hash: a webhook endpoint (its URL, the events it wants, its signing secrets as field-cipher ciphertext). */
  webhookEndpoint: (orgId: string, endpointId: string) => `${tag(orgId)}:webhook:${endpointId}`,
  /** Set: the organization's webhook endpoints. */
  webhookEndpoints: (orgId: string) => `${tag(orgId)}:webhooks`,
  /**
   * Hash: one event on its way to one endpoint (status, attempts, the body as ciphertext: it holds the EHR's
   * reference). Kept 30 days, never longer than the organization's retention.
   */
  webhookDelivery: (orgId: string, deliveryId: string) => `${tag(orgId)}:webhook-delivery:${deliveryId}`,
  /** List: a delivery's attempts (JSON: time, HTTP status or error, ms), newest first; expires with it. */
  webhookAttempts: (orgId: string, deliveryId: string) => `${tag(orgId)}:webhook-attempts:${deliveryId}`,
  /** Sorted set: delivery id -> when it was made, for the admins' list (trimmed like the deliveries expire). */
  webhookDeliveries: (orgId: string) => `${tag(orgId)}:webhook-deliveries`,

  /**
   * Hash: one e-mail (its kind, status, attempts; the message itself, address and link included, as
   * field-cipher ciphertext). Kept the organization's retention from when it was queued.
   */
  email: (orgId: string, messageId: string) => `${tag(orgId)}:email:${messageId}`,
  /** Sorted set: the organization's e-mails by when they were queued (trimmed by retention). */
  emails: (orgId: string) => `${tag(orgId)}:emails`,
  /** Sorted set: the e-mails about one consultation by when they were queued (what became of them). */
  consultationEmails: (orgId: string, consultationId: string) => `${tag(orgId)}:consultation-emails:${consultationId}`,
  /** Sorted set: `<messageId>:<consultationId or ''>` -> when the e-mail is next to be tried (or its claim runs out). */
  emailDue: (orgId: string) => `${tag(orgId)}:email-due`,
  /** An e-mail queued under a dedupe key (by a hash of the key): its message id, so the same key queues once. */
  emailDedupe: (orgId: string, keyHash: string) => `${tag(orgId)}:email-dedupe:${keyHash}`,

  /**
   * A single-use professional link (embedding/), by the hash of its secret: the consultation and member it
   * logs in, until when. Taken with GETDEL at its one use; expires after 60 s.
   */
  professionalLink: (orgId: string, secretHash: string) => `${tag(orgId)}:pro-link:${secretHash}`,
  /** An embedded professional view's session (a bearer token for one consultation), by the hash of its secret. */
  embedSession: (orgId: string, secretHash: string) => `${tag(orgId)}:embed-session:${secretHash}`,
  /** Set: the embedded sessions' hashes of one consultation, so they end with it (expires with the longest a session may live). */
  consultationEmbedSessions: (orgId: string, consultationId: string) => `${tag(orgId)}:embed-sessions:${consultationId}`,
  /** The origins (JSON list) allowed to frame the organization's pages, set by its admins. */
  embedOrigins: (orgId: string) => `${tag(orgId)}:embed-origins`,

  // Lookups that must work before the organization is known. One key each, so no slot problem.
  roomBySlug: (slug: string) => `room-slug:${slug}`,
  /** A member's login by a keyed hash of their e-mail address (OrganizationStore.emailIndexKey). */
  professionalByEmail: (emailHash: string) => `pro-email:${emailHash}`,
  organizations: () => 'organizations',
  /** Set: organizations with visitors whose presence is watched (ids only), for the sweep. */
  presenceOrganizations: () => 'presence-orgs',
  /** Sorted set: organization id -> when its next reminder is due (+inf: none known), for every process's reminder job. */
  reminderOrganizations: () => 'reminder-orgs',
  rateLimit: (kind: string, subject: string) => `rate:${kind}:${subject}`,
  /** Held by the one signaling process running the purge job now (expires on its own if that process dies). */
  purgeLock: () => 'purge-lock',
  /** When a purge pass last finished (ms), written by whichever process ran it; for the metrics. */
  purgeLastSuccess: () => 'purge-last-success',
  /** Written (with a short TTL) by every readiness check: proves Redis takes writes, not only answers. */
  readinessProbe: () => 'readiness-probe',
  /** A BankID login under way, by the hash of its state: single use, at most 10 minutes. */
  bankIdLogin: (stateHash: string) => `bankid-login:${stateHash}`,
  /** A finished network check's figures (no one's identity), until a check-in takes them along (an hour). */
  networkCheck: (checkId: string) => `network-check:${checkId}`,
  /** Taken by the one process that writes a day's audit anchors (kept two days). */
  auditAnchorDay: (day: string) => `audit-anchor-day:${day}`,
  /*
   * The webhook outbox of every organization: a stream read by every signaling process through one consumer
   * group, and the deliveries waiting for their next try. Both share the `{webhooks}` hash tag, so the moves
   * between them are one atomic script on Redis Cluster too.
   */
  webhookOutbox: () => '{webhooks}:outbox',
  /** Sorted set: `<orgId>:<deliveryId>` -> when its next try is due. */
  webhookRetries: () => '{webhooks}:retries',
  /**
   * Sorted set: organization id -> when it next has an e-mail due (its own `email-due` holds which), so
   * every process finds the work without reading every organization. Organization ids only.
   */
  emailOrganizations: () => '{email}:orgs',
};

/**
 * The kinds of an organization's keys that hold data about visitors or calls: each lives the retention
 * period from its last write, and a shortened retention lowers their TTLs (payments' bookkeeping records,
 * sessions, members and settings are not among them).
 */
export const RETAINED_KEY_KINDS = [
  'visitor',
  'visitor-calls',
  'visitor-sms',
  'consultation-visitors',
  'consultation-sms',
  'visitors',
  'waiting',
  'call',
  'call-members',
  'messages',
  'call-tech',
  'consultation',
  'consultations',
  'consultation-ref',
  'consultation-refs',
  'invitee',
  'invitees',
  'reminders',
  'call-lengths',
  'history',
  'call-invitations',
  'payment',
  'unsettled-payments',
  'access-code',
  'webhook-delivery',
  'webhook-attempts',
  'webhook-deliveries',
  'sms-sent',
  'email',
  'emails',
  'consultation-emails',
  'email-due',
  'email-dedupe',
];

/** The organization a key belongs to and its kind (`{org:<id>}:<kind>[:...]`), or null for a global key. */
export function kindOfKey(key: string): { orgId: string; kind: string } | null {
  const m = /^\{org:([0-9a-f]+)\}:([a-z-]+)/.exec(key);
  return m ? { orgId: m[1]!, kind: m[2]! } : null;
}

/** Key kinds that may live without a TTL: records kept until an admin deletes them. Tests check the rest. */
export const PERMANENT_KEY_PATTERNS = [
  /^\{org:[0-9a-f]+\}:org$/,
  /^\{org:[0-9a-f]+\}:pro:[0-9a-f]+$/,
  /^\{org:[0-9a-f]+\}:pros$/,
  /^\{org:[0-9a-f]+\}:recovery:[0-9a-f]+$/,
  /^\{org:[0-9a-f]+\}:room:[0-9a-f]+$/,
  /^\{org:[0-9a-f]+\}:rooms$/,
  /^\{org:[0-9a-f]+\}:room-members:[0-9a-f]+$/,
  /^\{org:[0-9a-f]+\}:bankid$/,
  // API keys: a name and a hash, until an admin revokes them (or the organization is closed).
  /^\{org:[0-9a-f]+\}:api-key:[0-9a-f]+$/,
  /^\{org:[0-9a-f]+\}:api-keys$/,
  // A setting (origins of EHR pages), no visitor data.
  /^\{org:[0-9a-f]+\}:embed-origins$/,
  /^\{org:[0-9a-f]+\}:bankid-member:[A-Za-z0-9_-]+$/,
  /^room-slug:/,
  /^pro-email:/,
  /^organizations$/,
  // Organization ids only (no visitor): which organizations the presence sweep looks at.
  /^presence-orgs$/,
  // Organization ids only (no visitor): where the reminder job looks for due reminders.
  /^reminder-orgs$/,
  // The audit log and its chain's head, checkpoint and recent anchors: ids and hashes, no visitor data;
  // the log is trimmed by time to the organization's audit retention (AuditLog.trim), and its members'
  // sealed addresses with it.
  /^\{org:[0-9a-f]+\}:audit$/,
  /^\{org:[0-9a-f]+\}:audit-(head|checkpoint|anchors|addresses)$/,
  // Webhook endpoints (settings, kept until an admin deletes them) and the outbox: entries live until they
  // are delivered or handed on (XACK+XDEL), and name organizations and deliveries by id only (an event's
  // body waits there as ciphertext for a moment, until it is copied to its deliveries, which expire).
  /^\{org:[0-9a-f]+\}:webhook:[0-9a-f]+$/,
  /^\{org:[0-9a-f]+\}:webhooks$/,
  /^\{webhooks\}:(outbox|retries)$/,
  // Which organizations have e-mail due: organization ids only.
  /^\{email\}:orgs$/,
];
