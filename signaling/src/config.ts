import fs from 'node:fs';
import os from 'node:os';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { parseFieldKeys } from './crypto/field-cipher.ts';
import { parseAddressRanges } from './webhooks/address-guard.ts';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** Everything the server reads from its environment, checked once at start (see .env.example). */
const schema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().default('127.0.0.1'),
    /** The address people type, e.g. https://video.example.no; used for links and the Origin check. */
    PUBLIC_ORIGIN: z.url(),
    /** Extra origins allowed to open sockets and post forms (comma separated). */
    EXTRA_ORIGINS: z.string().default(''),
    REDIS_URL: z.string().startsWith('redis'),
    /**
     * Keys the hash of client addresses for rate limits (a key of its own each UTC day is derived from it),
     * so no address is stored in clear; keys derived from it also key the hashes by which members' e-mail
     * addresses, EHR references, recovery codes and invitation codes are kept, so none of those can be
     * guessed offline from a copy of Redis. Changing it makes those unmatchable (members set up recovery
     * codes again, admins invite again).
     */
    ADDRESS_HASH_KEY: z.string().min(32),
    /** Express "trust proxy": false, a hop count, or addresses/subnets of the reverse proxy. */
    TRUST_PROXY: z.string().default('false'),
    TLS_CERT_FILE: z.string().optional(),
    TLS_KEY_FILE: z.string().optional(),
    MEDIA_WORKERS: z.coerce.number().int().min(1).max(64).default(os.availableParallelism()),
    RTC_LISTEN_IP: z.ipv4().or(z.ipv6()).default('127.0.0.1'),
    RTC_ANNOUNCED_IP: z.string().optional(),
    RTC_MIN_PORT: z.coerce.number().int().min(1024).max(65535).default(40000),
    RTC_MAX_PORT: z.coerce.number().int().min(1024).max(65535).default(49999),
    /**
     * Media on a few known ports: worker i takes UDP and TCP port RTC_PORT_BASE + i (a mediasoup
     * WebRtcServer each), so a firewall opens MEDIA_WORKERS ports instead of the RTC_MIN_PORT..RTC_MAX_PORT
     * range. Unset: each transport takes a port of its own from that range.
     */
    RTC_PORT_BASE: z.coerce.number().int().min(1024).max(65535).optional(),
    /** Shared with coturn's `static-auth-secret` (TURN REST credentials). With TURN_URLS; both or neither. */
    TURN_SECRET: z.string().min(32).optional(),
    /**
     * The TURN server as browsers reach it, comma separated, e.g.
     * `turn:turn.example.no:3478?transport=udp,turn:turn.example.no:3478?transport=tcp,turns:turn.example.no:443?transport=tcp`.
     */
    TURN_URLS: z
      .string()
      .transform((v) => v.split(',').map((u) => u.trim()).filter(Boolean))
      .pipe(z.array(z.string().regex(/^turns?:[^\s/?#]+(\?transport=(udp|tcp))?$/, { error: 'each TURN URL is turn:host:port or turns:host:port, optionally ?transport=udp|tcp' })).min(1))
      .optional(),
    /** How long a TURN credential handed to a browser stays good (at most an hour). */
    TURN_CREDENTIAL_SECONDS: z.coerce.number().int().min(60).max(3600).default(3600),
    /** `relay`: every browser sends media only through TURN. `all` lets browsers go direct when they can. */
    ICE_TRANSPORT_POLICY: z.enum(['all', 'relay']).default('all'),
    SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(30),
    SESSION_MAX_HOURS: z.coerce.number().int().min(1).max(72).default(12),
    /** How often an open dashboard re-checks that its login session still exists (idle expiry, logout). */
    SESSION_CHECK_SECONDS: z.coerce.number().int().min(1).max(300).default(30),
    /** How long a call whose every participant's connection closed waits for one to come back before it ends. */
    CALL_ABANDONED_SECONDS: z.coerce.number().int().min(1).max(3600).default(120),
    /**
     * How long a waiting visitor whose connection dropped (tab closed, network switch, laptop lid) keeps
     * their place: coming back within it restores it; past it they are marked left.
     */
    /**
     * On SIGTERM/SIGINT, how long calls on this process may go on before it exits. Waiting visitors and
     * dashboards are sent to another process at once; a call's participants move when it ends or this runs
     * out. Keep it below the orchestrator's kill timeout (Kubernetes terminationGracePeriodSeconds).
     */
    SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(0).max(3600).default(25),
    VISITOR_GRACE_SECONDS: z.coerce.number().int().min(1).max(600).default(20),
    /**
     * SMS alerts through Twilio, per deployment. Without all three, SMS is off (the settings page says so).
     * TWILIO_FROM is a sending number (E.164) or a Messaging Service SID.
     */
    TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/).optional(),
    TWILIO_AUTH_TOKEN: z.string().min(16).optional(),
    TWILIO_FROM: z.string().regex(/^(\+[1-9]\d{7,14}|MG[0-9a-fA-F]{32})$/).optional(),
    /** Where Twilio's REST API is reached: a local stand-in in tests, or an egress proxy. */
    TWILIO_API_BASE_URL: z.url().optional(),
    /**
     * E-mail (invitations, reminders, receipts, member invitations) through an SMTP server, per deployment:
     * SMTP_URL (smtp://user:password@host:587, or smtps://... for TLS from the start), or SMTP_HOST with
     * SMTP_PORT, SMTP_SECURE, SMTP_USER and SMTP_PASSWORD; and SMTP_FROM, the sender ("Clinic video
     * <no-reply@clinic.example>"). Without them e-mail is off (the settings page says so).
     */
    SMTP_URL: z.string().regex(/^smtps?:\/\/[^\s]+$/, { error: 'smtp://[user:password@]host[:port] or smtps://...' }).optional(),
    SMTP_HOST: z.string().regex(/^[A-Za-z0-9.-]+$|^\[[0-9a-fA-F:.]+\]$/, { error: 'a host name or address' }).optional(),
    SMTP_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    /** TLS from the start (port 465); otherwise STARTTLS when the server offers it. */
    SMTP_SECURE: bool.optional(),
    SMTP_USER: z.string().min(1).optional(),
    SMTP_PASSWORD: z.string().min(1).optional(),
    SMTP_FROM: z.string().trim().min(3).max(254).regex(/^[^\u0000-\u001f]*@[^\u0000-\u001f]*$/, { error: 'an address, optionally with a name: "Clinic video <no-reply@clinic.example>"' }).optional(),
    /** The first retry of an e-mail the SMTP server did not take waits about this long; each next one twice as long (at most an hour). */
    EMAIL_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(60_000),
    /** An e-mail not taken by the SMTP server for this long (from when it was queued) is marked failed. */
    EMAIL_GIVE_UP_AFTER_MS: z.coerce.number().int().min(1000).max(7 * 86_400_000).default(86_400_000),
    /** One SMTP conversation, at most (connecting, greeting, sending). */
    EMAIL_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(30_000),
    /** E-mails being sent at once by this process (0: this process only queues them; others send). */
    EMAIL_CONCURRENCY: z.coerce.number().int().min(0).max(100).default(4),
    /** At most one arrival SMS per professional per this many seconds. */
    SMS_ALERT_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(600),
    /**
     * Keys for personal fields at rest (visitors' names and answers, national identity numbers, phone
     * numbers, second-factor secrets, BankID brokers' client secrets): `<keyId>:<base64 of 32 bytes>
     * [,<keyId>:<key>...]`; the first encrypts, all decrypt (rotation). Required. Make a key with
     * `openssl rand -base64 32`; start.sh makes one for a local run.
     */
    DATA_ENCRYPTION_KEYS: z
      .string()
      .superRefine((v, ctx) => {
        try {
          parseFieldKeys(v);
        } catch (e) {
          ctx.addIssue({ code: 'custom', message: (e as Error).message });
        }
      }),
    /**
     * Keys the hash by which a member's BankID identity is kept (never the identity itself). Without it,
     * members cannot log in with BankID (visitors still can identify).
     */
    IDENTITY_HASH_KEY: z.string().min(32).optional(),
    /** Test-only: BankID brokers on plain http (a local stand-in). Refused with NODE_ENV=production. */
    BANKID_ALLOW_INSECURE_ISSUER: bool.default(false),
    /**
     * Card payment through Stripe, per deployment. Without the three keys, card payment is off (the admin
     * pages say so, and a room's price cannot be paid). STRIPE_API_BASE_URL: where the SDK sends API calls
     * (a local stand-in in tests, or an egress proxy); Stripe's own by default.
     */
    STRIPE_SECRET_KEY: z.string().regex(/^(sk|rk)_(test|live)_[A-Za-z0-9]{16,}$/).optional(),
    STRIPE_PUBLISHABLE_KEY: z.string().regex(/^pk_(test|live)_[A-Za-z0-9]{16,}$/).optional(),
    STRIPE_WEBHOOK_SECRET: z.string().regex(/^whsec_[A-Za-z0-9+/=]{16,}$/).optional(),
    STRIPE_API_BASE_URL: z.url().optional(),
    /**
     * An append-only file outside Redis where the head of every organization's audit chain is written once
     * a day (lines of JSON), so a rewrite of a whole audit stream is detected (`npm run audit:verify`).
     * Without it, nothing is anchored.
     */
    AUDIT_ANCHOR_FILE: z.string().min(1).optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /**
     * A directory for the JSON logs, one file per UTC day (consult-YYYY-MM-DD.log); without it, stdout. The
     * server deletes files older than LOG_RETENTION_DAYS itself, at start and once a day (no cron needed).
     */
    LOG_DIR: z.string().min(1).optional(),
    LOG_RETENTION_DAYS: z.coerce.number().int().min(1).max(365).default(14),
    /** REST API v1 (EHR systems, per API key): calls per key per minute (429 with Retry-After past it). */
    API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(300),
    /**
     * REST API v1: failed authentications (missing, unknown or revoked key) per client address per minute;
     * past it further failures get 429 with Retry-After instead of 401. A valid key is never refused by it.
     */
    API_FAILED_AUTH_PER_ADDRESS_PER_MINUTE: z.coerce.number().int().min(1).default(30),
    /**
     * SMS invitations through the API, against SMS pumping: at most this many per API key and per
     * organization per day (UTC), and only to these country codes (comma separated; Nordic by default).
     */
    API_SMS_PER_KEY_PER_DAY: z.coerce.number().int().min(0).default(100),
    API_SMS_PER_ORGANIZATION_PER_DAY: z.coerce.number().int().min(0).default(500),
    API_SMS_COUNTRY_CODES: z
      .string()
      .default('+47,+46,+45,+358,+354')
      .refine((v) => v.split(',').every((c) => /^\+[1-9]\d{0,3}$/.test(c.trim())), { error: 'country codes such as +47,+46 (comma separated)' }),
    /**
     * Who runs the machines this service and its Redis run on, as the privacy pages name it to visitors
     * (a processor of everything stored): the company and the country, e.g. "Example Cloud AS, Norway".
     * Required in production, where a page naming no host would not be true.
     */
    HOSTING_PROVIDER: z
      .string()
      .trim()
      .min(2)
      .max(200)
      .regex(/^[^\u0000-\u001f<>]+$/, { error: 'a company and its country on one line, e.g. "Example Cloud AS, Norway"' })
      .optional(),
    /** Where the built front-ends are; the defaults are the repo's own build output. */
    CLIENT_DIST: z.string().default(new URL('../../client/dist', import.meta.url).pathname),
    DASHBOARD_DIST: z.string().default(new URL('../../dashboard/dist', import.meta.url).pathname),
    /** Rate limits (per client address, per minute). */
    JOIN_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(20),
    UNKNOWN_ROOM_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(30),
    LOGIN_LIMIT_PER_ADDRESS: z.coerce.number().int().min(1).default(30),
    LOGIN_LIMIT_PER_ACCOUNT: z.coerce.number().int().min(1).default(10),
    /** Network tests (the check before check-in, and /check) per client address per hour, and at once per process. */
    NETWORK_CHECK_LIMIT_PER_HOUR: z.coerce.number().int().min(1).default(20),
    NETWORK_CHECK_MAX_CONCURRENT: z.coerce.number().int().min(1).default(20),
    /**
     * Test-only: organizations may keep data for as little as this many seconds (set per organization as
     * `retentionSeconds`), so tests can watch retention pass. Refused with NODE_ENV=production, where the
     * minimum stays one day.
     */
    RETENTION_TEST_MINIMUM_SECONDS: z.coerce.number().int().min(1).optional(),
    /** How often the purge job runs (one process at a time), and how long a deleted organization's data stays. */
    PURGE_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
    ORGANIZATION_DELETION_DAYS: z.coerce.number().int().min(0).max(365).default(90),
    /**
     * Backups (`npm run backup`) are kept this many days; the erasure ledger, by which a restore erases again
     * what was erased after its snapshot, is kept a day longer. Give the server the same value as the backups.
     */
    BACKUP_KEEP_DAYS: z.coerce.number().int().min(1).max(365).default(14),
    /**
     * After an erasure or a purge, the purge job has Redis rewrite its AOF and snapshot so the erased data
     * leaves its files; at most once per this many seconds (30 minutes: erased data is gone from them within the hour).
     */
    REDIS_FILES_REWRITE_MIN_SECONDS: z.coerce.number().int().min(1).max(3000).default(1800),
    /**
     * Webhooks never reach private, loopback, link-local, unique-local or cloud-metadata addresses, unless
     * listed here (CIDR ranges, comma separated; e.g. 127.0.0.0/8 in tests, or an EHR on a private network).
     */
    WEBHOOK_ALLOWED_ADDRESS_RANGES: z.string().default('').superRefine((v, ctx) => {
      try {
        parseAddressRanges(v);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
      }
    }),
    /**
     * The addresses of an organization's BankID broker (issuer, token, JWKS, userinfo) are held to the same
     * rule as webhooks: never private, loopback, link-local, unique-local or cloud-metadata addresses unless
     * listed here (CIDR ranges, comma separated; e.g. 127.0.0.0/8 in tests, where the broker runs locally).
     */
    BANKID_ALLOWED_ADDRESS_RANGES: z.string().default('').superRefine((v, ctx) => {
      try {
        parseAddressRanges(v);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
      }
    }),
    /** Test-only: webhook endpoints on plain http (a local receiver). Refused with NODE_ENV=production. */
    WEBHOOK_ALLOW_PLAIN_HTTP: bool.default(false),
    /** The first retry of a failed delivery waits about this long; each next one twice as long (at most an hour), with jitter. */
    WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(30_000),
    /** A delivery failing for this long (from its event, or from an admin's resend) is marked failed. */
    WEBHOOK_GIVE_UP_AFTER_MS: z.coerce.number().int().min(1000).max(7 * 86_400_000).default(86_400_000),
    /** One delivery attempt, at most (connecting, sending, the answer). */
    WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
    /** Deliveries under way at once in this process (0: this process delivers none, only adds to the outbox). */
    WEBHOOK_CONCURRENCY: z.coerce.number().int().min(0).max(1000).default(16),
    /** Of those, at most this many to one endpoint: a slow or dead endpoint cannot hold up everyone else's. */
    WEBHOOK_CONCURRENCY_PER_ENDPOINT: z.coerce.number().int().min(1).max(100).default(2),
    /** An outbox entry a process took and has not finished for this long (it died) is taken over by another. */
    WEBHOOK_CLAIM_IDLE_MS: z.coerce.number().int().min(500).max(3_600_000).default(60_000),
    /**
     * Prometheus metrics (/metrics): on a port of their own, for a network only Prometheus reaches, and/or
     * behind a bearer token (`Authorization: Bearer <METRICS_TOKEN>`; on the service's port only with it).
     * Neither set: no metrics are served. Make a token with `openssl rand -hex 32`.
     */
    METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    METRICS_TOKEN: z
      .string()
      .min(32, { error: 'at least 32 characters (128 random bits or more): make one with openssl rand -hex 32' })
      .regex(/^[\x21-\x7e]+$/, { error: 'printable characters without spaces (make one with openssl rand -hex 32)' })
      .optional(),
    COOKIE_SECURE: bool.optional(),
    /**
     * Test-only: calls without end-to-end encryption, so `npm run bench:e2ee` can measure what encryption
     * costs. Refused with NODE_ENV=production; there is no per-organization setting.
     */
    UNENCRYPTED_CALLS_FOR_BENCHMARK: bool.default(false),
    NODE_ENV: z.string().optional(),
  })
  .refine((c) => !(c.UNENCRYPTED_CALLS_FOR_BENCHMARK && c.NODE_ENV === 'production'), {
    error: 'UNENCRYPTED_CALLS_FOR_BENCHMARK is for benchmarks only and is refused in production',
  })
  .refine((c) => !(c.BANKID_ALLOW_INSECURE_ISSUER && c.NODE_ENV === 'production'), {
    error: 'BANKID_ALLOW_INSECURE_ISSUER is for tests only and is refused in production',
  })
  .refine((c) => !(c.RETENTION_TEST_MINIMUM_SECONDS && c.NODE_ENV === 'production'), {
    error: 'RETENTION_TEST_MINIMUM_SECONDS is for tests only; in production the shortest retention is one day',
  })
  .refine((c) => !(c.NODE_ENV === 'production' && !c.HOSTING_PROVIDER), {
    path: ['HOSTING_PROVIDER'],
    error: 'HOSTING_PROVIDER is required in production: the privacy pages name the hosting provider to visitors',
  })
  .refine((c) => !(c.WEBHOOK_ALLOW_PLAIN_HTTP && c.NODE_ENV === 'production'), {
    error: 'WEBHOOK_ALLOW_PLAIN_HTTP is for tests only and is refused in production',
  })
  // An attempt still under way must not look like the entry of a dead process.
  .refine((c) => c.WEBHOOK_CLAIM_IDLE_MS > c.WEBHOOK_TIMEOUT_MS, { error: 'WEBHOOK_CLAIM_IDLE_MS must exceed WEBHOOK_TIMEOUT_MS' })
  .refine((c) => c.METRICS_PORT === undefined || c.METRICS_PORT !== c.PORT, {
    path: ['METRICS_PORT'],
    error: 'METRICS_PORT must differ from PORT (to serve the metrics on the service port, set METRICS_TOKEN alone)',
  })
  .refine((c) => c.RTC_MIN_PORT <= c.RTC_MAX_PORT, { error: 'RTC_MIN_PORT must not exceed RTC_MAX_PORT' })
  .refine((c) => c.RTC_PORT_BASE === undefined || c.RTC_PORT_BASE + c.MEDIA_WORKERS - 1 <= 65535, {
    path: ['RTC_PORT_BASE'],
    error: 'RTC_PORT_BASE + MEDIA_WORKERS - 1 must be a port number (65535 at most)',
  })
  .refine((c) => c.RTC_PORT_BASE === undefined || c.RTC_PORT_BASE + c.MEDIA_WORKERS - 1 < c.RTC_MIN_PORT || c.RTC_PORT_BASE > c.RTC_MAX_PORT, {
    path: ['RTC_PORT_BASE'],
    error: 'RTC_PORT_BASE .. RTC_PORT_BASE + MEDIA_WORKERS - 1 must lie outside RTC_MIN_PORT..RTC_MAX_PORT',
  })
  .refine((c) => !!c.TURN_SECRET === !!c.TURN_URLS, { path: ['TURN_SECRET'], error: 'TURN_SECRET and TURN_URLS go together' })
  .refine((c) => c.ICE_TRANSPORT_POLICY === 'all' || !!c.TURN_URLS, {
    path: ['ICE_TRANSPORT_POLICY'],
    error: 'ICE_TRANSPORT_POLICY=relay needs a TURN server (TURN_URLS and TURN_SECRET)',
  })
  .refine((c) => new Set([!!c.STRIPE_SECRET_KEY, !!c.STRIPE_PUBLISHABLE_KEY, !!c.STRIPE_WEBHOOK_SECRET]).size === 1, {
    error: 'STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET go together',
  })
  .refine((c) => !(c.SMTP_URL && c.SMTP_HOST), { path: ['SMTP_URL'], error: 'give the SMTP server as SMTP_URL or as SMTP_HOST (and its parts), not both' })
  .refine((c) => !(c.SMTP_URL || c.SMTP_HOST) || !!c.SMTP_FROM, { path: ['SMTP_FROM'], error: 'SMTP_FROM (the sender address) is required with an SMTP server' })
  .refine((c) => !c.SMTP_FROM || !!(c.SMTP_URL || c.SMTP_HOST), { path: ['SMTP_FROM'], error: 'SMTP_FROM needs an SMTP server (SMTP_URL or SMTP_HOST)' })
  .refine((c) => !!c.SMTP_USER === !!c.SMTP_PASSWORD, { path: ['SMTP_USER'], error: 'SMTP_USER and SMTP_PASSWORD go together' })
  .refine((c) => !(c.SMTP_URL && (c.SMTP_PORT || c.SMTP_SECURE !== undefined || c.SMTP_USER)), { path: ['SMTP_URL'], error: 'SMTP_PORT, SMTP_SECURE, SMTP_USER and SMTP_PASSWORD go with SMTP_HOST (SMTP_URL carries them)' })
  .refine((c) => !!c.TLS_CERT_FILE === !!c.TLS_KEY_FILE, { error: 'TLS_CERT_FILE and TLS_KEY_FILE go together' });

export type Config = ReturnType<typeof loadConfig>;

/**
 * The settings that are secrets. Each of them (and any other setting) may instead be read from a file named
 * by `<NAME>_FILE`: the container-secrets convention, so keys sit in a mounted secret, not in the
 * environment, a compose file or the data volume.
 */
export const SECRET_SETTINGS = [
  'REDIS_URL',
  'ADDRESS_HASH_KEY',
  'DATA_ENCRYPTION_KEYS',
  'IDENTITY_HASH_KEY',
  'TWILIO_AUTH_TOKEN',
  'SMTP_URL',
  'SMTP_PASSWORD',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'TURN_SECRET',
  'METRICS_TOKEN',
] as const satisfies readonly (keyof typeof schema.shape)[];

/** Every setting the server reads, by name: the deployment files are checked against it (infra/deploy/). */
export const SETTING_NAMES: readonly string[] = Object.keys(schema.shape);

/**
 * The root `.env` file under the environment (the environment wins), as `npm start` reads it: for the
 * operator commands, which run beside the server with its settings.
 */
export function readRootDotEnv(): void {
  const dotEnv = new URL('../../.env', import.meta.url).pathname;
  if (fs.existsSync(dotEnv)) for (const [name, value] of Object.entries(parseEnv(fs.readFileSync(dotEnv, 'utf8')))) process.env[name] ??= value;
}

/**
 * The environment with every `<NAME>_FILE` of a setting replaced by `<NAME>` holding the file's content
 * (one trailing line break dropped, as `echo` leaves it). Refuses a setting given both ways, and a file
 * that cannot be read; the message names the variable and the path, never what the file holds. For the
 * server and every operator command that reads a secret.
 */
export function resolveSettingFiles(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const resolved: NodeJS.ProcessEnv = { ...env };
  const problems: string[] = [];
  for (const name of Object.keys(schema.shape)) {
    const fileVar = `${name}_FILE`;
    const file = env[fileVar];
    if (file === undefined || file === '') continue;
    if (env[name] !== undefined && env[name] !== '') {
      problems.push(`  ${fileVar}: ${name} is set too; give the setting one way only`);
      continue;
    }
    try {
      resolved[name] = fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      delete resolved[fileVar];
    } catch (e) {
      problems.push(`  ${fileVar}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})`);
    }
  }
  if (problems.length) throw new Error(`invalid configuration:\n${problems.join('\n')}`);
  return resolved;
}

export function loadConfig(rawEnv: NodeJS.ProcessEnv = process.env) {
  const env = resolveSettingFiles(rawEnv);
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(config)'}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  const publicOrigin = new URL(c.PUBLIC_ORIGIN).origin;
  const extra = c.EXTRA_ORIGINS.split(',').map((s) => s.trim()).filter(Boolean).map((o) => new URL(o).origin);
  return {
    ...c,
    publicOrigin,
    allowedOrigins: [publicOrigin, ...extra],
    cookieSecure: c.COOKIE_SECURE ?? publicOrigin.startsWith('https:'),
    trustProxy: parseTrustProxy(c.TRUST_PROXY),
    apiSmsCountryCodes: c.API_SMS_COUNTRY_CODES.split(',').map((code) => code.trim()),
    turn: c.TURN_SECRET && c.TURN_URLS
      ? { secret: c.TURN_SECRET, urls: c.TURN_URLS, ttlSeconds: c.TURN_CREDENTIAL_SECONDS, policy: c.ICE_TRANSPORT_POLICY }
      : undefined,
  };
}

function parseTrustProxy(v: string): boolean | number | string[] {
  if (v === 'false') return false;
  if (v === 'true') throw new Error('TRUST_PROXY=true would trust any client-sent address; give the hop count or proxy addresses');
  if (/^\d+$/.test(v)) return Number(v);
  return v.split(',').map((s) => s.trim());
}
