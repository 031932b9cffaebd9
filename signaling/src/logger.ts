import { pino, type Logger, type DestinationStream } from 'pino';
import pretty from 'pino-pretty';

/**
 * Keys whose values never reach a log line, wherever they appear (top level or up to three objects deep):
 * names, phone numbers, national identity numbers and birth dates, e-mail addresses, what visitors write
 * (check-in answers, message text), client addresses, and every kind of token, secret and credential.
 * Code logs ids only; redaction is the second line of defence for anything that slips through in an object.
 */
export const REDACTED_KEYS = [
  // names
  'name', 'visitorName', 'professionalName', 'fullName', 'firstName', 'lastName', 'givenName', 'familyName', 'given_name', 'family_name',
  // phone numbers, e-mail addresses
  'phone', 'phoneNumber', 'smsPhone', 'mobile', 'email', 'e-mail',
  // national identity numbers, birth dates
  'nationalId', 'socialno', 'ssn', 'birthDate', 'birthdate', 'dateOfBirth',
  // what people write
  'answers', 'reason', 'text', 'body', 'message', 'messageText', 'blob', 'copies', 'custom',
  // client addresses
  'ip', 'ips', 'address', 'remoteAddress', 'x-forwarded-for', 'forwarded', 'x-real-ip',
  // tokens, secrets, credentials
  'password', 'newPassword', 'currentPassword', 'token', 'visitorToken', 'csrfToken', 'accessToken', 'access_token',
  'refreshToken', 'refresh_token', 'idToken', 'id_token', 'code', 'state', 'nonce', 'secret', 'clientSecret',
  'client_secret', 'totpSecret', 'apiKey', 'sessionId', 'cookie', 'set-cookie', 'authorization', 'x-csrf-token',
];

/** How deep keys are censored: the top level and up to three levels of objects under it. */
const DEPTH = 4;

/**
 * Error messages are free text written by libraries (an SDK may quote the phone number it refused, a
 * parser the input it choked on): under `err` only the parts that cannot identify anyone remain.
 */
const SCRUBBED_IN_TEXT: [RegExp, string][] = [
  [/[^\s@"'<>()]+@[^\s@"'<>()]+\.[^\s@"'<>()]+/g, '[e-mail]'],
  // IPv4, and IPv6 written with at least two colons (times like 12:30 have one)
  [/\b\d{1,3}(?:\.\d{1,3}){3}\b/g, '[address]'],
  [/\b(?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{0,4}\b/g, '[address]'],
  // phone numbers and national identity numbers: 8 or more digits, possibly spaced or dashed
  [/\+?\d(?:[\s-]?\d){7,}/g, '[number]'],
  // secrets handed to browsers are 43 base64url characters; anything that long and mixed goes
  [/[A-Za-z0-9_-]{40,}/g, '[token]'],
];

export function scrubText(text: string): string {
  return SCRUBBED_IN_TEXT.reduce((t, [pattern, replacement]) => t.replace(pattern, replacement), text);
}

/** `err` as the code gives it (an Error or its message), as one line: type, scrubbed message, code; no stack. */
export function scrubbedError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const suffix = typeof code === 'string' || typeof code === 'number' ? ` (${scrubText(String(code))})` : '';
    return `${err.name}: ${scrubText(err.message)}${suffix}`;
  }
  return typeof err === 'string' ? scrubText(err) : typeof err;
}

const REDACTED = new Set(REDACTED_KEYS);

/** Objects whose keys are walked for redaction: what JSON would write key by key (not errors, buffers, dates). */
function walkable(value: unknown): value is object {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Error) &&
    !ArrayBuffer.isView(value) &&
    typeof (value as { toJSON?: unknown }).toJSON !== 'function'
  );
}

/**
 * `value` with each of REDACTED_KEYS censored at the top level and under up to three levels of objects;
 * copied where something is censored, so the caller's object stays as it was. One walk over the keys a line
 * has: pino's own redaction, given each key at each depth (280 paths), tried them all at every line, 0.1 ms
 * a line and more.
 */
export function redactPersonal<T extends object>(value: T, depth = 0): T {
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    const next = REDACTED.has(key) && v !== undefined ? '[redacted]' : depth + 1 < DEPTH && walkable(v) ? redactPersonal(v, depth + 1) : v;
    if (next === v) continue;
    copy ??= (Array.isArray(value) ? value.slice() : { ...value }) as Record<string, unknown>;
    copy[key] = next;
  }
  return (copy ?? value) as T;
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      formatters: { log: redactPersonal, bindings: redactPersonal },
      serializers: { err: scrubbedError, error: scrubbedError },
    },
    destination,
  );
}

/**
 * How lines reach standard output: a person at a terminal reads them (pino-pretty: time, level, message,
 * fields); anything else (a pipe, a file, journald, a log collector) gets one JSON object a line.
 */
export type LogFormat = 'pretty' | 'json';

export function logFormatFor(stream: { isTTY?: boolean }): LogFormat {
  return stream.isTTY ? 'pretty' : 'json';
}

/**
 * The service's logger on standard output, in the format `logFormatFor` picks. Redaction and scrubbing run
 * in pino before either format, so the terminal shows exactly what the JSON would hold.
 */
export function stdoutLogger(level: string, stdout: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout): Logger {
  if (logFormatFor(stdout) === 'json') return createLogger(level, stdout === process.stdout ? undefined : stdout);
  return createLogger(level, pretty({ destination: stdout, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true }));
}

export type { Logger };
