import { pino, type Logger, type DestinationStream } from 'pino';

/**
 * Names, phone numbers, e-mail addresses, tokens and cookies never reach a log line. Code logs ids only;
 * redaction is the second line of defence for anything that slips through in an object.
 */
export const REDACTED_PATHS = [
  'name', '*.name', 'visitorName', '*.visitorName', 'phone', '*.phone', 'email', '*.email',
  'password', '*.password', 'token', '*.token', 'visitorToken', '*.visitorToken', 'csrfToken', '*.csrfToken',
  'sessionId', '*.sessionId', 'cookie', '*.cookie', 'authorization', '*.authorization',
  'req.headers.cookie', 'req.headers.authorization', 'headers.cookie', 'res.headers["set-cookie"]',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination);
}

export type { Logger };
