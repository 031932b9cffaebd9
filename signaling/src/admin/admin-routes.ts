import { changeRetention } from '../retention/retention-change.ts';
import { adminAccess } from './admin-access.ts';
import { auditActorOf } from '../audit/audit-context.ts';
import { retentionMsOf } from '../organizations/organization-store.ts';
import { randomBytes } from 'node:crypto';
import { Router, type NextFunction, type Request, type Response } from 'express';
import {
  languageFromAcceptLanguage,
  memberRoutes,
  organizationAdminRoutes,
  type AdminRoom,
  type InvitationCreated,
  type InvitationInfo,
  type OrganizationOverview,
  type PasswordReset,
} from '../../protocol/index.ts';
import { AppError, badField, notFound } from '../errors.ts';
import { typedRoutes } from '../http/typed-routes.ts';
import type { AuthedLocals } from '../http/request-guards.ts';
import { hashPassword } from '../auth/passwords.ts';
import { meOf, startSession } from '../auth/auth-routes.ts';
import type { Services } from '../services.ts';
import { privacyPath } from '../privacy/privacy-routes.ts';
import type { InvitationStore } from './invitation-store.ts';

/**
 * An organization's admins manage it here: members (invite, remove, reset a password) and rooms
 * (create, rename, choose who belongs to a shared room, delete). To anyone else these routes do not
 * exist: a professional who is not an admin gets the same 404 as an unknown path.
 */
export function adminRoutes(s: Pick<Services, 'audit' | 'config' | 'email' | 'log' | 'notify' | 'organizations' | 'rateLimiter' | 'redis' | 'sessions' | 'waitingRoom'>, invitations: InvitationStore): Router {
  const router = Router();
  const { admin, orgOf, audit, member, room: roomLookup } = adminAccess(s);
  const routes = typedRoutes(router, s);

  /** Members named for a room must all be members of this organization. */
  async function checkMembers(res: Response<unknown, AuthedLocals>, members: string[]): Promise<string[]> {
    const known = new Set((await s.organizations.listProfessionals(orgOf(res))).map((p) => p.id));
    const unique = [...new Set(members)];
    if (unique.some((m) => !known.has(m))) throw badField('members', 'not a member of this organization');
    return unique;
  }

  routes.on(organizationAdminRoutes.overview, ...admin, async (_input, _req, res) => {
    const orgId = orgOf(res);
    const [pros, rooms, org] = await Promise.all([s.organizations.listProfessionals(orgId), s.organizations.listRooms(orgId), s.organizations.getOrganization(orgId)]);
    if (!org) throw notFound();
    const adminRooms: AdminRoom[] = await Promise.all(
      rooms.map(async (r) => ({ roomId: r.id, name: r.name, slug: r.slug, kind: r.kind, members: await s.organizations.roomMembers(orgId, r.id), checkIn: r.checkIn, price: r.price })),
    );
    const body: OrganizationOverview = {
      members: pros.map((p) => ({ id: p.id, name: p.name, email: p.email, role: p.role, mustChangePassword: !!p.mustChangePassword })),
      rooms: adminRooms.sort((a, b) => a.name.localeCompare(b.name)),
      settings: {
        visitorScreenShare: org.visitorScreenShare,
        quickReplies: org.quickReplies,
        bookkeepingYears: org.bookkeepingYears,
        retentionDays: org.retentionDays,
        privacyContact: org.privacyContact,
        timeZone: org.timeZone,
        reminderMinutes: org.reminderMinutes,
      },
      privacyPage: `${s.config.publicOrigin}${privacyPath(orgId)}`,
    };
    return body;
  });

  routes.on(organizationAdminRoutes.updateSettings, ...admin, async ({ body }, req, res) => {
    const { retentionDays, retentionSeconds, ...change } = body;
    if (retentionDays !== undefined && retentionSeconds !== undefined) throw badField('retentionDays', 'one of retentionDays and retentionSeconds');
    // The retention first: a refused one (a test's seconds on a real server) changes nothing else either.
    if (retentionDays !== undefined) await changeRetention(s, orgOf(res), { days: retentionDays });
    if (retentionSeconds !== undefined) await changeRetention(s, orgOf(res), { seconds: retentionSeconds });
    await s.organizations.updateSettings(orgOf(res), change);
    await audit(res, 'settings-changed', Object.keys(req.body as object).join(','));
    return {};
  });

  routes.on(organizationAdminRoutes.invite, ...admin, async ({ body }, req, res) => {
    if (await s.organizations.findProfessionalByEmail(body.email)) throw new AppError('email_taken', 'this e-mail address already belongs to a member');
    const { token, code, expiresAt } = await invitations.create(orgOf(res), body);
    await audit(res, 'member_invited', body.role);
    // The secret travels in the fragment: browsers do not send it to any server, so it reaches no log.
    const invitationUrl = `${s.config.PUBLIC_ORIGIN}/dashboard/#invitation=${token}`;
    // The link by e-mail too, in the admin's language (the code stays with the admin, to pass on another way).
    let emailed = false;
    if (s.email.available) {
      const language = languageFromAcceptLanguage(req.headers['accept-language']);
      emailed = await s.email.enqueue(orgOf(res), { kind: 'member-invitation', to: body.email, language, link: invitationUrl, expiresAt }).then(
        () => true,
        (err: Error) => (s.log.warn({ orgId: orgOf(res), err: err.message }, 'member invitation: could not queue the e-mail'), false),
      );
    }
    const created: InvitationCreated = { invitationUrl, code, expiresAt, emailed };
    return created;
  });

  routes.found(organizationAdminRoutes.removeMember, ...admin, member, async ({ found: pro }, _req, res) => {
    if (pro.id === res.locals.session.professionalId) throw new AppError('bad_request', 'you cannot remove yourself');
    await s.organizations.removeProfessional(pro.orgId, pro.id);
    // Disconnected at once: every session ends, every open dashboard is told and closed.
    s.notify.sessionsEnded(pro.orgId, await s.sessions.destroyAllOf(pro.orgId, pro.id));
    await audit(res, 'member_removed', pro.id);
  });

  routes.found(organizationAdminRoutes.resetPassword, ...admin, member, async ({ found: pro }, _req, res) => {
    const temporaryPassword = randomBytes(12).toString('base64url');
    await s.organizations.setPassword(pro.orgId, pro.id, await hashPassword(temporaryPassword), true);
    s.notify.sessionsEnded(pro.orgId, await s.sessions.destroyAllOf(pro.orgId, pro.id));
    await audit(res, 'password_reset', pro.id);
    const body: PasswordReset = { temporaryPassword };
    return body;
  });

  routes.on(organizationAdminRoutes.createRoom, ...admin, async ({ body }, _req, res) => {
    const orgId = orgOf(res);
    const members = await checkMembers(res, body.members);
    const room = await s.organizations.createRoom(orgId, { slug: await s.organizations.freeSlugFor(body.name), name: body.name, kind: 'shared', members });
    s.notify.roomAccessChanged(orgId, room.id, { added: members, admins: true });
    await audit(res, 'room_created', room.id);
    const created: AdminRoom = { roomId: room.id, name: room.name, slug: room.slug, kind: room.kind, members, checkIn: room.checkIn, price: room.price };
    return created;
  });

  routes.found(organizationAdminRoutes.updateRoom, ...admin, roomLookup, async ({ found: room, body }, _req, res) => {
    if (body.members && room.kind === 'personal') throw badField('members', 'a personal room belongs to its professional alone');
    if (body.name) {
      await s.organizations.renameRoom(room.orgId, room.id, body.name);
      s.notify.roomChanged(room.orgId, room.id);
    }
    if (body.members) {
      const change = await s.organizations.setRoomMembers(room.orgId, room.id, await checkMembers(res, body.members));
      s.notify.roomAccessChanged(room.orgId, room.id, change);
    }
    await audit(res, 'room_changed', room.id);
    const updated: AdminRoom = {
      roomId: room.id,
      name: body.name ?? room.name,
      slug: room.slug,
      kind: room.kind,
      members: await s.organizations.roomMembers(room.orgId, room.id),
      checkIn: room.checkIn,
      price: room.price,
    };
    return updated;
  });

  /** A room's check-in form: replaced whole. Visitors already waiting keep what they answered. */
  routes.found(organizationAdminRoutes.setRoomCheckIn, ...admin, roomLookup, async ({ found: room, body: config }, _req, res) => {
    await s.organizations.setCheckIn(room.orgId, room.id, config);
    await audit(res, 'room_check_in_changed', room.id);
    return config;
  });

  routes.found(organizationAdminRoutes.deleteRoom, ...admin, roomLookup, async ({ found: room }, _req, res) => {
    if (room.kind === 'personal') throw new AppError('bad_request', 'a personal room goes when its professional is removed');
    const org = await s.organizations.getOrganization(room.orgId);
    const waiting = await s.waitingRoom.listWaiting(room.orgId, [room], retentionMsOf(org));
    if (waiting.length) throw new AppError('room_not_empty', 'someone is waiting in this room; delete it when no one is');
    await s.organizations.deleteRoom(room.orgId, room.id);
    s.notify.roomChanged(room.orgId, room.id, true);
    await audit(res, 'room_deleted', room.id);
  });

  // ---------- invitations, before anyone is logged in ----------

  routes.on(memberRoutes.invitationLookup, async ({ body: lookup }) => {
    const invitation = lookup ? await invitations.peek(lookup.token) : null;
    const org = invitation && (await s.organizations.getOrganization(invitation.orgId));
    if (!invitation || !org) throw notFound('This invitation is not valid');
    const body: InvitationInfo = { organizationName: org.name, name: invitation.name, email: invitation.email };
    return body;
  });

  /** The invited person chooses a password: they become a member with a personal room, and are logged in. */
  // The attempt counts before anything is read (a malformed one too).
  const limitAttempts = (req: Request, _res: unknown, next: NextFunction) =>
    void s.rateLimiter.allow('invitation', { address: req.ip }, s.config.LOGIN_LIMIT_PER_ADDRESS, 15 * 60_000).then(
      (allowed) => next(allowed ? undefined : new AppError('rate_limited', 'too many attempts; try again in 15 minutes')),
      next,
    );

  routes.on(memberRoutes.acceptInvitation, limitAttempts, async ({ body }, req, res) => {
    const taken = await invitations.take(body.token, body.code);
    if (!taken.ok && taken.reason === 'wrong_code') {
      throw new AppError('invalid_code', `wrong invitation code; ${taken.triesLeft} ${taken.triesLeft === 1 ? 'try' : 'tries'} left before the invitation stops working`, {
        triesLeft: taken.triesLeft,
      });
    }
    const invitation = taken.ok ? taken.invitation : null;
    if (!invitation || !(await s.organizations.getOrganization(invitation.orgId))) throw notFound('This invitation is not valid');
    const pro = await s.organizations
      .createProfessional(invitation.orgId, { name: invitation.name, email: invitation.email, passwordHash: await hashPassword(body.password), role: invitation.role })
      .catch(() => {
        throw new AppError('email_taken', 'this e-mail address already belongs to a member');
      });
    const room = await s.organizations.createRoom(invitation.orgId, {
      slug: await s.organizations.freeSlugFor(pro.name),
      name: pro.name,
      professionalId: pro.id,
    });
    // Admins see every room, the new one too.
    s.notify.roomAccessChanged(invitation.orgId, room.id, { admins: true });
    s.log.info({ orgId: invitation.orgId, professionalId: pro.id, action: 'member_joined' }, 'organization changed');
    // Logged in, but like every password login, the second factor first: set up now.
    const session = await startSession(s, res, invitation.orgId, pro.id, 'second-factor-setup');
    await s.audit.record({ ...auditActorOf(session, req.ip), action: 'member_change', targetId: pro.id, detail: { change: 'member_joined', role: pro.role } });
    return meOf(s, session);
  });

  return router;
}
