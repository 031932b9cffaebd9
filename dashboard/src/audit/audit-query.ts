import { wallTimeToInstant, type AuditAction } from '../../../signaling/protocol/index.ts';

/** The filters as the form holds them: dates as the date inputs give them (YYYY-MM-DD, the organization's day). */
export interface AuditFilterForm {
  actor: string;
  action: AuditAction | '';
  fromDate: string;
  toDate: string;
}

export const NO_FILTERS: AuditFilterForm = { actor: '', action: '', fromDate: '', toDate: '' };

/** Midnight of a date input's value at the organization's clock (`zone`), in ms; `nextDay` for the end of that day. */
function midnight(date: string, zone: string, nextDay = false): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return undefined;
  const day = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + (nextDay ? 1 : 0))).toISOString().slice(0, 10);
  return wallTimeToInstant(`${day}T00:00`, zone);
}

/**
 * The query string of the audit routes for these filters (without `?`), or null when the range is
 * backwards. The end date is included: the range runs to the next midnight at the organization's clock.
 */
export function auditQuery(f: AuditFilterForm, zone: string): string | null {
  const from = midnight(f.fromDate, zone);
  const to = midnight(f.toDate, zone, true);
  if (from !== undefined && to !== undefined && from >= to) return null;
  const q = new URLSearchParams();
  if (f.actor) q.set('actor', f.actor);
  if (f.action) q.set('action', f.action);
  if (from !== undefined) q.set('from', String(from));
  if (to !== undefined) q.set('to', String(to));
  return q.toString();
}
