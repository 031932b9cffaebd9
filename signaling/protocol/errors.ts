/**
 * Error codes carried in every failed ack and HTTP error body. Clients branch on `code`; `message` is for
 * people and logs. Unknown and forbidden deliberately share `not_found` so that probing learns nothing.
 */
export const ErrorCode = {
  badRequest: 'bad_request',
  notFound: 'not_found',
  notWaiting: 'not_waiting',
  /** Another professional admitted the visitor first. */
  alreadyAdmitted: 'already_admitted',
  rateLimited: 'rate_limited',
  unauthorized: 'unauthorized',
  invalidCredentials: 'invalid_credentials',
  /** Logged in with a password an admin reset: choose a new one first. */
  passwordChangeRequired: 'password_change_required',
  /** The password was right; the second factor is still to be given (or set up). */
  secondFactorRequired: 'second_factor_required',
  /** A wrong or already used authenticator or recovery code, or a wrong invitation code. */
  invalidCode: 'invalid_code',
  /** The room still has visitors waiting in it. */
  roomNotEmpty: 'room_not_empty',
  /** This server has no SMS provider set up. */
  smsUnavailable: 'sms_unavailable',
  /** This server has no SMTP server set up. */
  emailUnavailable: 'email_unavailable',
  /** Not an e-mail address (the forms and the server check it with the one `email` schema in common.ts). */
  emailInvalid: 'email_invalid',
  /** The e-mail address already belongs to a member. */
  emailTaken: 'email_taken',
  csrf: 'csrf_failed',
  callEnded: 'call_ended',
  /** A call has as many participants as it may have (see MAX_CALL_PARTICIPANTS). */
  callFull: 'call_full',
  /** The organization does not allow this (a visitor sharing their screen where it is off). */
  notAllowed: 'not_allowed',
  /** An access code that is unknown, used already or expired (all look the same). */
  accessCodeInvalid: 'access_code_invalid',
  /** BankID is not set up for this organization (or this server), or its broker cannot be reached. */
  bankIdUnavailable: 'bankid_unavailable',
  /** This server has no Stripe account set up: card payment is not available. */
  paymentsUnavailable: 'payments_unavailable',
  /** More than was charged and not yet refunded (or nothing was charged). */
  refundTooLarge: 'refund_too_large',
  /** A member who is not an admin, at their own organization's admin pages (its existence is no secret to them). */
  forbidden: 'forbidden',
  /** A step the room requires (BankID, payment) is not done: the visitor cannot wait yet. */
  checkInIncomplete: 'check_in_incomplete',
  /** A login could not be written to the audit log, so it is not let through; try again in a moment. */
  auditUnavailable: 'audit_unavailable',
  /** A webhook delivery that is still being tried cannot be sent again yet. */
  deliveryPending: 'delivery_pending',
  /** API: a consultation whose visitor is in a call cannot be cancelled. */
  consultationInCall: 'consultation_in_call',
  /** API: the consultation ended or was cancelled; nothing more can be done with its link. */
  consultationClosed: 'consultation_closed',
  /** A consultation's link while someone who came with it is checking in, waiting or in the call: one visitor per link. */
  linkInUse: 'link_in_use',
  /** API: an SMS to a number outside the countries this server sends to (SMS pumping). */
  phoneNotAllowed: 'phone_not_allowed',
  /** This server process is stopping: the same request succeeds in a moment (on another process). */
  shuttingDown: 'shutting_down',
  internal: 'internal',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * One field of a request that was refused: where it is (`phone`, `answers.custom.<id>`, `origins.2`; empty
 * for the payload as a whole) and what is wrong with it, as the schema's code (`phone_invalid`,
 * `retention_too_short`) or, for a check without one, its English words.
 */
export interface FieldProblem {
  field: string;
  code: string;
}

/** What a client needs to say an error in its own language; `message` is English only. */
export interface ErrorDetails {
  /** invalid_code for an invitation: wrong codes it survives before it is used up. */
  triesLeft?: number;
  /** bad_request: the fields refused, in the order found, so a form shows each at its field. */
  fields?: FieldProblem[];
}

/** The refused fields of a schema's issues (a zod error's `issues`), as an error body carries them. */
export function fieldProblemsOf(issues: readonly { path: readonly PropertyKey[]; message: string }[]): FieldProblem[] {
  return issues.map((issue) => ({ field: issue.path.map(String).join('.'), code: issue.message }));
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: ErrorDetails;
}

export type Ack<T extends object = {}> = ({ ok: true } & T) | { ok: false; error: ErrorBody };

/** HTTP status for each code, so routes and the socket layer agree. */
export const httpStatusOf: Record<ErrorCode, number> = {
  bad_request: 400,
  not_found: 404,
  not_waiting: 409,
  already_admitted: 409,
  rate_limited: 429,
  unauthorized: 401,
  invalid_credentials: 401,
  password_change_required: 403,
  second_factor_required: 403,
  invalid_code: 401,
  room_not_empty: 409,
  email_taken: 409,
  email_invalid: 400,
  sms_unavailable: 503,
  email_unavailable: 503,
  csrf_failed: 403,
  call_ended: 409,
  call_full: 409,
  not_allowed: 403,
  access_code_invalid: 400,
  bankid_unavailable: 503,
  payments_unavailable: 503,
  refund_too_large: 409,
  check_in_incomplete: 409,
  forbidden: 403,
  audit_unavailable: 503,
  delivery_pending: 409,
  consultation_in_call: 409,
  consultation_closed: 409,
  link_in_use: 409,
  phone_not_allowed: 400,
  shutting_down: 503,
  internal: 500,
};
