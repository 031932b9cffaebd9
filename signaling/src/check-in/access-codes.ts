import { randomInt, createHash } from 'node:crypto';
import { Router } from 'express';
import { ACCESS_CODE_ALPHABET, memberRoutes, type AccessCodeCreated } from '../../protocol/index.ts';
import { badField, notFound } from '../errors.ts';
import { typedRoutes } from '../http/typed-routes.ts';
import { requireProfessional } from '../http/request-guards.ts';
import { keys } from '../redis/keys.ts';
import { fieldContext } from '../crypto/field-cipher.ts';
import type { Services } from '../services.ts';

/** 26 symbols of 32: 130 random bits. */
const CODE_LENGTH = 26;

/** The key of a code as typed (normalized by the shared schema): only its hash is stored. */
export const accessCodeKey = (orgId: string, normalizedCode: string) => keys.accessCode(orgId, createHash('sha256').update(normalizedCode).digest('hex'));

/**
 * Access codes for pseudonymous rooms: a professional makes one for one visitor, with a label the queue
 * card shows instead of a name. Single use (the check-in script consumes it), gone when it expires.
 */
export function accessCodeRoutes(s: Pick<Services, 'config' | 'fieldCipher' | 'log' | 'organizations' | 'redis' | 'sessions' | 'waitingRoom'>): Router {
  const router = Router();
  const authed = requireProfessional(s.sessions, s.config.cookieSecure);
  const routes = typedRoutes(router, s);

  routes.on(memberRoutes.accessCode, authed, async ({ body }, _req, res) => {
    const { orgId, professionalId } = res.locals.session;
    const [pro, room] = await Promise.all([s.organizations.getProfessional(orgId, professionalId), s.organizations.getRoom(orgId, body.roomId)]);
    if (!pro || !room || !(await s.organizations.mayActOn(pro, room.id))) throw notFound('no such room');
    if (!room.checkIn.pseudonymous) throw badField('roomId', 'this room asks for names, not access codes');
    const code = Array.from({ length: CODE_LENGTH }, () => ACCESS_CODE_ALPHABET[randomInt(ACCESS_CODE_ALPHABET.length)]).join('');
    const validMs = body.validHours * 3_600_000;
    const key = accessCodeKey(orgId, code);
    // The label may be anything the professional typed (a name, even): encrypted at rest, never in a log.
    const label = s.fieldCipher.encrypt(body.label, fieldContext.accessCodeLabel(orgId, key));
    await s.redis.multi().hset(key, { roomId: room.id, label }).pexpire(key, validMs).exec();
    s.log.info({ orgId, professionalId, roomId: room.id }, 'access code made');
    const created: AccessCodeCreated = { code: code.match(/.{1,4}/g)!.join('-'), expiresAt: Date.now() + validMs };
    return created;
  });

  return router;
}
