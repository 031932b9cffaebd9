import { adminAccess } from '../admin/admin-access.ts';
import { Router } from 'express';
import { organizationAdminRoutes, type BankIdSettingsInfo, type MemberBankIdList } from '../../protocol/index.ts';
import { badField, notFound } from '../errors.ts';
import { typedRoutes } from '../http/typed-routes.ts';
import type { Services } from '../services.ts';
import { newId } from '../ids.ts';
import type { BankId } from './bankid.ts';

/**
 * An admin sets the organization's BankID broker (the client secret is write-only: stored encrypted, never
 * sent back) and approves members' BankID identities. To anyone else these routes do not exist.
 */
export function bankIdAdminRoutes(s: Pick<Services, 'audit' | 'config' | 'log' | 'organizations' | 'sessions' | 'waitingRoom'>, bankId: BankId): Router {
  const router = Router();
  const { admin, orgOf, audit, member } = adminAccess(s);
  const routes = typedRoutes(router, s);

  routes.on(organizationAdminRoutes.bankId, ...admin, async (_input, _req, res) => {
    const orgId = orgOf(res);
    const current = await bankId.settings.get(orgId);
    const body: BankIdSettingsInfo = {
      memberLoginAvailable: !!bankId.bindings,
      settings: current && {
        issuer: current.issuer,
        clientId: current.clientId,
        acrValues: current.acrValues,
        collectNationalId: current.collectNationalId,
        memberLogin: current.memberLogin,
        clientSecretSet: true,
      },
      redirectUri: bankId.redirectUri,
      loginLink: `${s.config.publicOrigin}/dashboard/?organization=${orgId}`,
    };
    return body;
  });

  routes.on(organizationAdminRoutes.setBankId, ...admin, async ({ body: update }, _req, res) => {
    const orgId = orgOf(res);
    if (!update.issuer.startsWith('https://') && !s.config.BANKID_ALLOW_INSECURE_ISSUER) throw badField('issuer', 'must be an https address');
    if (update.memberLogin && !bankId.bindings) throw badField('memberLogin', 'this server has no IDENTITY_HASH_KEY');
    const clientSecret = update.clientSecret ?? (await bankId.settings.get(orgId))?.clientSecret;
    if (!clientSecret) throw badField('clientSecret', 'required');
    const candidate = { ...update, clientSecret, fingerprint: `candidate:${newId()}` };
    // A wrong issuer is said now, not when the first visitor tries.
    if (!(await bankId.brokers.check(`check:${orgId}`, candidate))) throw badField('issuer', 'no OpenID Connect configuration could be read there');
    await bankId.settings.set(orgId, { ...update, clientSecret });
    await audit(res, 'bankid_settings_changed', update.clientSecret ? 'with new client secret' : 'client secret kept');
  });

  routes.on(organizationAdminRoutes.removeBankId, ...admin, async (_input, _req, res) => {
    await bankId.settings.remove(orgOf(res));
    await audit(res, 'bankid_settings_removed', '');
  });

  routes.on(organizationAdminRoutes.bankIdMembers, ...admin, async (_input, _req, res) => {
    const orgId = orgOf(res);
    const pros = await s.organizations.listProfessionals(orgId);
    const bindings = bankId.bindings;
    const body: MemberBankIdList = {
      members: await Promise.all(pros.map(async (p) => ({ id: p.id, state: bindings ? await bindings.stateOf(orgId, p.id) : ('none' as const) }))),
    };
    return body;
  });

  /** The member's waiting BankID identity becomes theirs: from now on it logs them in. */
  routes.found(organizationAdminRoutes.approveBankId, ...admin, member, async ({ found: pro }, _req, res) => {
    if (!bankId.bindings || !(await bankId.bindings.approve(pro.orgId, pro.id))) throw notFound('nothing waits for approval');
    await audit(res, 'bankid_binding_approved', pro.id);
  });

  routes.found(organizationAdminRoutes.removeBankIdBinding, ...admin, member, async ({ found: pro }, _req, res) => {
    await bankId.bindings?.remove(pro.orgId, pro.id);
    await audit(res, 'bankid_binding_removed', pro.id);
  });

  return router;
}
