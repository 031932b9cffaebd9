import { ErrorCode, httpStatusOf, type ErrorBody, type ErrorDetails } from '../protocol/index.ts';

/** An error meant for the caller: it carries a protocol code (and so an HTTP status). */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string = code,
    readonly details?: ErrorDetails,
  ) {
    super(message);
  }

  get status(): number {
    return httpStatusOf[this.code];
  }

  toBody(): ErrorBody {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

/**
 * A refused field: `bad_request` (or the error's own code) with the field and its code apart, for forms,
 * and the message they always had, `field: code`, for people and logs.
 */
export const badField = (field: string, code: string, error: ErrorCode = ErrorCode.badRequest) =>
  new AppError(error, `${field}: ${code}`, { fields: [{ field, code }] });

export const notFound = (what = 'not found') => new AppError(ErrorCode.notFound, what);
