import type { z } from 'zod';
import { fieldProblemsOf } from '../../protocol/index.ts';
import { AppError } from '../errors.ts';

/** Parses an incoming payload at the boundary; everything past this point trusts the typed result. */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const first = result.error.issues[0];
    throw new AppError('bad_request', first ? `${first.path.join('.') || 'payload'}: ${first.message}` : 'invalid payload', {
      fields: fieldProblemsOf(result.error.issues),
    });
  }
  return result.data;
}
