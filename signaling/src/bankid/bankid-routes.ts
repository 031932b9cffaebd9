import { Router, type NextFunction, type Request, type Response } from 'express';
import { parse as parseCookies } from 'cookie';
import {
  bankIdCallbackQuery,
  memberRoutes,
  visitorRoutes,
  type BankIdLoginOptions,
  type BankIdStarted,
  type MemberBankIdInfo,
} from '../../protocol/index.ts';
import { AppError, badField, notFound } from '../errors.ts';
import { typedRoutes } from '../http/typed-routes.ts';
import { requireProfessional, sessionCookieOf } from '../http/request-guards.ts';
import { hashSecret, sameHash } from '../ids.ts';
import { keys } from '../redis/keys.ts';
import type { Services } from '../services.ts';
import { startSession } from '../auth/auth-routes.ts';
import { auditActorOf } from '../audit/audit-context.ts';
import { BankId, CALLBACK_PATH, flowCookieName } from './bankid.ts';
import type { BankIdSettings } from './bankid-settings-store.ts';
import { BrokerRefusal, newFlowSecrets, type VerifiedClaims } from './broker-client.ts';
import { LOGIN_TTL_MS, type LoginRecord } from './login-records.ts';
import { storeVisitorIdentity } from './visitor-identity.ts';

/** Trips to the broker per visitor or member per minute (retries after a cancel are normal; loops are not). */
const START_LIMIT_PER_MINUTE = 10;

/**
 * BankID through the organization's broker: a visitor identifies before waiting; a member binds their
 * BankID and then logs in with it. Every trip to the broker comes back to one callback, which finishes
 * what the single-use login record says it was for.
 */
export function bankIdRoutes(s: Pick<Services, 'audit' | 'config' | 'fieldCipher' | 'log' | 'organizations' | 'rateLimiter' | 'redis' | 'sessions' | 'waitingRoom'>, bankId: BankId): Router {
  const router = Router();
  const secure = s.config.cookieSecure;
  const member = requireProfessional(s.sessions, secure);
  const routes = typedRoutes(router, s);

  async function limitStarts(subject: string): Promise<void> {
    if (!(await s.rateLimiter.allow('bankid-start', subject, START_LIMIT_PER_MINUTE, 60_000))) throw new AppError('rate_limited', 'too many attempts; wait a minute');
  }

  /** Stores the login record and answers where the browser goes; the flow cookie binds it to this browser. */
  async function start(
    res: Response,
    settings: BankIdSettings,
    record: Omit<LoginRecord, 'pkceVerifier' | 'nonce' | 'browserHash' | 'settingsFingerprint'>,
    scope: string,
    ttlMs = LOGIN_TTL_MS,
  ): Promise<BankIdStarted> {
    const flow = newFlowSecrets();
    const browserHash = BankId.bindBrowser(res, secure);
    const state = await bankId.logins.create({ ...record, ...flow, browserHash, settingsFingerprint: settings.fingerprint }, ttlMs);
    let authorizationUrl: string;
    try {
      authorizationUrl = await bankId.brokers.authorizationUrl(record.orgId, settings, { ...flow, state, scope });
    } catch {
      await bankId.logins.take(state);
      s.log.warn({ orgId: record.orgId, event: 'bankid_broker_unreachable' }, 'BankID broker discovery failed');
      throw new AppError('bankid_unavailable', 'the BankID service cannot be reached; try again in a moment');
    }
    return { authorizationUrl };
  }

  // ---------- visitors ----------

  /** A visitor checking in, in a room that asks for BankID: off to the broker. */
  routes.on(visitorRoutes.bankIdStart, async ({ visitor, body: { returnTo } }, _req, res) => {
    if (visitor.state !== 'checking_in') throw notFound();
    await limitStarts(`visitor:${visitor.id}`);
    const room = await s.organizations.getRoom(visitor.orgId, visitor.roomId);
    if (!room?.checkIn.bankId) throw notFound();
    // Back to this visitor's own link only: their room's, or their consultation's.
    const ownLink = returnTo.startsWith('/r/')
      ? returnTo === `/r/${room.slug}`
      : returnTo === `/c/${visitor.orgId}.${await s.redis.hget(keys.visitor(visitor.orgId, visitor.id), 'consultationId')}`;
    if (!ownLink) throw badField('returnTo', 'not this visit’s link');
    const settings = await bankId.settings.get(visitor.orgId);
    if (!settings) throw new AppError('bankid_unavailable', 'BankID is not set up for this organization');
    // The record goes no later than the visitor it is about.
    const visitorTtl = await s.redis.pttl(keys.visitor(visitor.orgId, visitor.id));
    if (visitorTtl <= 0) throw notFound();
    const scope = settings.collectNationalId ? 'openid profile ssn' : 'openid profile';
    return start(res, settings, { purpose: 'visitor', orgId: visitor.orgId, visitorId: visitor.id, returnTo }, scope, visitorTtl);
  });

  // ---------- members ----------

  /** Whether this organization offers BankID login: the same answer for an unknown organization as for one without it. */
  routes.on(memberRoutes.bankIdLoginOptions, async ({ query }) => {
    const settings = query && bankId.bindings ? await bankId.settings.get(query.organization) : null;
    const body: BankIdLoginOptions = { bankId: !!settings?.memberLogin };
    return body;
  });

  // The attempt counts before anything is read (a malformed one too).
  const limitLoginStarts = (req: Request, _res: unknown, next: NextFunction) =>
    void s.rateLimiter.allow('bankid-login-address', { address: req.ip }, s.config.LOGIN_LIMIT_PER_ADDRESS, 15 * 60_000).then(
      (allowed) => next(allowed ? undefined : new AppError('rate_limited', 'too many login attempts; try again in 15 minutes')),
      next,
    );

  routes.on(memberRoutes.bankIdLoginStart, limitLoginStarts, async ({ body: { organization } }, _req, res) => {
    const settings = bankId.bindings ? await bankId.settings.get(organization) : null;
    if (!settings?.memberLogin) throw notFound();
    return start(res, settings, { purpose: 'member-login', orgId: organization, returnTo: '/dashboard/' }, 'openid');
  });

  /** The member's own BankID: whether it is offered, and bound, waiting or not. */
  routes.on(memberRoutes.bankIdLink, member, async (_input, _req, res) => {
    const { orgId, professionalId } = res.locals.session;
    const settings = bankId.bindings ? await bankId.settings.get(orgId) : null;
    const body: MemberBankIdInfo = {
      offered: !!settings?.memberLogin,
      state: bankId.bindings ? await bankId.bindings.stateOf(orgId, professionalId) : 'none',
    };
    return body;
  });

  /** A logged-in member binds their BankID: a login at the broker, then an admin approves it. */
  routes.on(memberRoutes.bankIdLinkStart, member, async (_input, _req, res) => {
    const { orgId, professionalId } = res.locals.session;
    await limitStarts(`member:${professionalId}`);
    const settings = bankId.bindings ? await bankId.settings.get(orgId) : null;
    if (!settings?.memberLogin) throw notFound();
    return start(res, settings, { purpose: 'member-link', orgId, professionalId, returnTo: '/dashboard/' }, 'openid');
  });

  // ---------- the way back from the broker ----------

  router.get(CALLBACK_PATH, async (req, res) => {
    const query = bankIdCallbackQuery.safeParse(req.query);
    const record = query.success ? await bankId.logins.take(query.data.state) : null;
    if (!query.success || !record) {
      // The flow cookie stays: a forged or stale answer must not spoil a genuine login under way.
      s.log.info({ event: 'bankid_callback_unknown' }, 'BankID callback without a login under way');
      return res.status(400).type('html').send(EXPIRED_PAGE);
    }
    res.clearCookie(flowCookieName(secure), { httpOnly: true, secure, sameSite: 'lax', path: secure ? '/' : CALLBACK_PATH });
    const back = (outcome: string) => res.redirect(303, `${s.config.publicOrigin}${record.returnTo}#bankid=${outcome}`);
    const failed = (reason: string) => {
      s.log.info({ orgId: record.orgId, purpose: record.purpose, refusal: reason, event: 'bankid_failed' }, 'BankID login not accepted');
      back('failed');
    };

    const browser = parseCookies(req.headers.cookie ?? '')[flowCookieName(secure)];
    if (!browser || !sameHash(record.browserHash, hashSecret(browser))) return failed('browser');
    if (query.data.error) {
      if (query.data.error === 'access_denied') {
        s.log.info({ orgId: record.orgId, purpose: record.purpose, event: 'bankid_cancelled' }, 'BankID login cancelled');
        return back('cancelled');
      }
      return failed('broker_error');
    }
    const settings = await bankId.settings.get(record.orgId);
    if (!settings || settings.fingerprint !== record.settingsFingerprint) return failed('settings_changed');
    let claims: VerifiedClaims;
    try {
      const callbackUrl = new URL(req.originalUrl, s.config.publicOrigin);
      claims = await bankId.brokers.finish(record.orgId, settings, callbackUrl, { state: query.data.state, nonce: record.nonce, pkceVerifier: record.pkceVerifier });
    } catch (error) {
      if (error instanceof BrokerRefusal) return failed(error.reason);
      throw error;
    }

    if (record.purpose === 'visitor') {
      if (!claims.name || !claims.birthdate) return failed('claims');
      if (settings.collectNationalId && !claims.socialno) return failed('claims');
      const stored = await storeVisitorIdentity(s, record.orgId, record.visitorId!, {
        name: claims.name,
        birthDate: claims.birthdate,
        verifiedAt: Date.now(),
        ...(settings.collectNationalId ? { nationalId: claims.socialno } : {}),
      });
      if (stored !== 'ok') return failed('visitor_gone');
      s.log.info({ orgId: record.orgId, visitorId: record.visitorId, event: 'bankid_verified' }, 'visitor identified with BankID');
      return back('done');
    }

    const bindings = bankId.bindings;
    if (!bindings || !settings.memberLogin) return failed('member_login_off');
    const identityHash = bindings.identityHashOf(record.orgId, settings.issuer, claims.sub);

    if (record.purpose === 'member-link') {
      // Still the member who started it, still logged in, in this browser.
      const session = await s.sessions.resolve(sessionCookieOf(req.headers.cookie, secure));
      if (!session || session.pending || session.orgId !== record.orgId || session.professionalId !== record.professionalId) return failed('session');
      await bindings.setPending(record.orgId, record.professionalId!, identityHash);
      s.log.info({ orgId: record.orgId, professionalId: record.professionalId, event: 'bankid_link_pending' }, 'member BankID waiting for approval');
      return back('link-pending');
    }

    const professionalId = await bindings.memberOf(record.orgId, identityHash);
    const pro = professionalId && (await s.organizations.getProfessional(record.orgId, professionalId));
    if (!pro) return failed('not_bound');
    const session = await startSession(s, res, pro.orgId, pro.id);
    // Audited before the dashboard opens, or no login (see AuditLog.recordOrRefuse): the session goes again.
    if (!(await s.audit.record({ ...auditActorOf(session, req.ip), action: 'login', detail: { method: 'bankid' } }))) {
      await s.sessions.destroy(session);
      return failed('audit_unavailable');
    }
    s.log.info({ orgId: pro.orgId, professionalId: pro.id, method: 'bankid' }, 'professional logged in');
    res.redirect(303, `${s.config.publicOrigin}${record.returnTo}`);
  });

  return router;
}

/** An expired, used or unknown login: nothing to go back to, so say what to do (both languages). */
const EXPIRED_PAGE = `<!doctype html><meta charset="utf-8"><title>BankID</title>
<p lang="en">This BankID login has expired or was used already. Go back to the page you came from and try again.</p>
<p lang="no">Denne BankID-innloggingen er utløpt eller allerede brukt. Gå tilbake til siden du kom fra og prøv igjen.</p>`;
