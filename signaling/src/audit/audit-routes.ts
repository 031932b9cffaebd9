import { once } from 'node:events';
import { Router, type Request, type Response } from 'express';
import {
  auditExportQuery,
  type AuditAddress,
  type AuditEntryView,
  type AuditListResponse,
  type AuditSettings,
  organizationAdminRoutes,
} from '../../protocol/index.ts';
import { adminAccess } from '../admin/admin-access.ts';
import { AppError } from '../errors.ts';
import { parse } from '../http/validate.ts';
import { typedRoutes } from '../http/typed-routes.ts';
import type { AuthedLocals } from '../http/request-guards.ts';
import type { Services } from '../services.ts';
import { httpActorOf } from './audit-context.ts';

type AdminResponse = Response<unknown, AuthedLocals>;

const CSV_COLUMNS = ['id', 'time', 'actor', 'action', 'target', 'session', 'detail'] as const;

/**
 * The audit log for an organization's admins: read it with filters, export it (CSV, JSON), reveal one
 * entry's client address, and choose how long it is kept. Exports and revealed addresses are audited in
 * turn. To anyone else these routes do not exist (404, as for every admin route).
 */
export function auditRoutes(s: Pick<Services, 'audit' | 'config' | 'log' | 'organizations' | 'sessions' | 'waitingRoom'>): Router {
  const router = Router();
  const { admin, orgOf } = adminAccess(s);
  const routes = typedRoutes(router, s);

  routes.on(organizationAdminRoutes.audit, ...admin, async ({ query }, _req, res) => {
    const body: AuditListResponse = await s.audit.list(orgOf(res), query);
    return body;
  });

  router.get('/api/admin/audit/export', ...admin, async (req: Request, res: AdminResponse) => {
    // (A link another site's page opens gets nothing and leaves no export in the log: `admin` refuses it.)
    const { format, ...filters } = parse(auditExportQuery, req.query);
    const orgId = orgOf(res);
    // Audited before any of it leaves: an export that fails halfway was still (partly) an export.
    await s.audit.record({ ...httpActorOf(req, res), action: 'export', detail: { of: 'audit_log', format, ...filtersDetail(filters) } });
    const stamp = new Date().toISOString().slice(0, 10);
    res.setHeader('content-disposition', `attachment; filename="audit-${stamp}.${format}"`);
    res.setHeader('cache-control', 'no-store');
    // Written as read, a page at a time, waiting for a slow client rather than holding a year of log in memory.
    const write = async (chunk: string) => {
      if (!res.write(chunk)) await once(res, 'drain');
    };
    if (format === 'csv') {
      res.type('text/csv; charset=utf-8');
      await write(`${CSV_COLUMNS.join(',')}\r\n`);
      for await (const e of s.audit.each(orgId, filters)) await write(`${csvRow(e)}\r\n`);
    } else {
      res.type('application/json; charset=utf-8');
      await write('[');
      let first = true;
      for await (const e of s.audit.each(orgId, filters)) {
        await write(`${first ? '' : ','}\n${JSON.stringify(exported(e))}`);
        first = false;
      }
      await write('\n]\n');
    }
    res.end();
  });

  /** One entry's client address, decrypted for an admin (abuse, a disputed login); audited as address_decrypted. */
  const address = { load: ({ id }: { id: string }, res: AdminResponse) => s.audit.address(orgOf(res), id), missing: 'no address kept with this entry' };
  routes.found(organizationAdminRoutes.auditAddress, ...admin, address, async ({ found, params: { id: entryId } }, req, res) => {
    const recorded = await s.audit.record({ ...httpActorOf(req, res), action: 'address_decrypted', targetId: entryId });
    // Nobody sees an address that is not accounted for.
    if (!recorded) throw new AppError('audit_unavailable', 'the audit log cannot be written just now; try again in a moment');
    const body: AuditAddress = { address: found };
    return body;
  });

  routes.on(organizationAdminRoutes.auditSettings, ...admin, async (_input, _req, res) => {
    const orgId = orgOf(res);
    const [auditRetentionDays, anchors] = await Promise.all([s.audit.retentionDays(orgId), s.audit.anchors.recent(orgId)]);
    const body: AuditSettings = { auditRetentionDays, anchoring: !!s.audit.anchors.file, anchors };
    return body;
  });

  routes.on(organizationAdminRoutes.setAuditSettings, ...admin, async ({ body: { auditRetentionDays } }, req, res) => {
    const orgId = orgOf(res);
    await s.audit.setRetentionDays(orgId, auditRetentionDays);
    await s.audit.record({ ...httpActorOf(req, res), action: 'settings_change', detail: { setting: 'auditRetentionDays', value: auditRetentionDays } });
    return { auditRetentionDays };
  });

  return router;
}

function filtersDetail(f: { actor?: string; action?: string; from?: number; to?: number }) {
  return {
    ...(f.actor ? { actor: f.actor } : {}),
    ...(f.action ? { action: f.action } : {}),
    ...(f.from !== undefined ? { from: new Date(f.from).toISOString() } : {}),
    ...(f.to !== undefined ? { to: new Date(f.to).toISOString() } : {}),
  };
}

/** An entry as exported: the time in words too, and no trace of the address beyond whether one is kept. */
function exported(e: AuditEntryView) {
  return { id: e.id, time: new Date(e.at).toISOString(), actor: e.actor, action: e.action, target: e.targetId, session: e.sessionHash, detail: e.detail };
}

function csvRow(e: AuditEntryView): string {
  const x = exported(e);
  return [x.id, x.time, x.actor, x.action, x.target ?? '', x.session ?? '', Object.keys(x.detail).length ? JSON.stringify(x.detail) : ''].map(csvCell).join(',');
}

/** Quoted when needed; a cell a spreadsheet would run as a formula is prefixed with an apostrophe. */
function csvCell(v: string): string {
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
