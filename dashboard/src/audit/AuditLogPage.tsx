import { useEffect, useState } from 'preact/hooks';
import {
  AUDIT_ACTIONS,
  AUDIT_RETENTION_MAX_DAYS,
  AUDIT_RETENTION_MIN_DAYS,
  type AuditEntryView,
  type AuditListQuery,
  type AuditSettings,
  organizationAdminRoutes,
} from '../../../signaling/protocol/index.ts';
import { ApiError, fetchRoute } from '../api.ts';
import { dateTime, t, timeZone, type StringKey } from '../strings.ts';
import { auditQuery, NO_FILTERS, type AuditFilterForm } from './audit-query.ts';

const PAGE = 50;
const actionLabel = (action: string) => t(`audit.action.${action}` as StringKey);
const when = (at: number) => dateTime(at, { dateStyle: 'short', timeStyle: 'medium' });

/**
 * The organization's audit log for its admins: filter it, page back through it, export it, reveal one
 * entry's address; how long it is kept, and the daily fingerprints to keep a copy of. Names come from the
 * member list here: the log itself holds ids only.
 */
export function AuditLogPage() {
  const [members, setMembers] = useState<Map<string, string>>(new Map());
  const [settings, setSettings] = useState<AuditSettings | null>(null);
  const [form, setForm] = useState<AuditFilterForm>(NO_FILTERS);
  const [query, setQuery] = useState('');
  const [entries, setEntries] = useState<AuditEntryView[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    void fetchRoute(organizationAdminRoutes.overview, {}).then((o) => setMembers(new Map(o.members.map((m) => [m.id, m.name]))), () => undefined);
    void fetchRoute(organizationAdminRoutes.auditSettings, {}).then(setSettings, () => setProblem(t('audit.failed')));
  }, []);

  const load = async (q: string, after: string | null) => {
    setProblem(null);
    try {
      // The filters are kept as the query string the export links carry too; the server checks each field.
      const filters = Object.fromEntries(new URLSearchParams(q)) as AuditListQuery;
      const page = await fetchRoute(organizationAdminRoutes.audit, { query: { ...filters, limit: String(PAGE), ...(after ? { cursor: after } : {}) } });
      setEntries((before) => (after ? [...(before ?? []), ...page.entries] : page.entries));
      setCursor(page.nextCursor);
    } catch (err) {
      setProblem(err instanceof ApiError && err.code === 'bad_request' ? t('audit.badFilters') : t('audit.failed'));
    }
  };
  useEffect(() => void load(query, null), [query]);

  const apply = (e: Event) => {
    e.preventDefault();
    const q = auditQuery(form, timeZone());
    if (q === null) return setProblem(t('audit.badFilters'));
    if (q === query) void load(q, null);
    else setQuery(q);
  };
  const set = (change: Partial<AuditFilterForm>) => setForm((f) => ({ ...f, ...change }));
  const who = (actor: string) =>
    actor === 'operator' ? t('audit.operator') : actor === 'system' ? t('audit.system') : members.get(actor) ?? t('audit.who.unknown', { id: actor.slice(0, 8) });

  return (
    <section aria-labelledby="audit-heading">
      <h1 id="audit-heading">{t('nav.audit')}</h1>
      {settings && <p class="muted">{t('audit.intro', { days: settings.auditRetentionDays })}</p>}
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}

      <form class="inline-form" onSubmit={apply} aria-label={t('audit.filters')}>
        <label class="field">
          <span>{t('audit.actor')}</span>
          <select value={form.actor} onChange={(e) => set({ actor: (e.currentTarget as HTMLSelectElement).value })}>
            <option value="">{t('audit.anyone')}</option>
            {[...members].sort((a, b) => a[1].localeCompare(b[1])).map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
            <option value="operator">{t('audit.operator')}</option>
            <option value="system">{t('audit.system')}</option>
          </select>
        </label>
        <label class="field">
          <span>{t('audit.action')}</span>
          <select value={form.action} onChange={(e) => set({ action: (e.currentTarget as HTMLSelectElement).value as AuditFilterForm['action'] })}>
            <option value="">{t('audit.anyAction')}</option>
            {AUDIT_ACTIONS.map((a) => (
              <option key={a} value={a}>
                {actionLabel(a)}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>{t('audit.from')}</span>
          <input type="date" value={form.fromDate} onInput={(e) => set({ fromDate: (e.currentTarget as HTMLInputElement).value })} />
        </label>
        <label class="field">
          <span>{t('audit.to')}</span>
          <input type="date" value={form.toDate} onInput={(e) => set({ toDate: (e.currentTarget as HTMLInputElement).value })} />
        </label>
        <button type="submit">{t('audit.apply')}</button>
      </form>

      <p class="actions">
        <a href={`/api/admin/audit/export?format=csv${query ? `&${query}` : ''}`} download>
          {t('audit.exportCsv')}
        </a>{' '}
        <a href={`/api/admin/audit/export?format=json${query ? `&${query}` : ''}`} download>
          {t('audit.exportJson')}
        </a>
      </p>
      <p class="muted">{t('audit.exportNote')}</p>

      {entries === null ? (
        <p role="status">{t('app.loading')}</p>
      ) : entries.length === 0 ? (
        <p class="muted">{t('audit.none')}</p>
      ) : (
        <table class="audit-log">
          <thead>
            <tr>
              <th scope="col">{t('audit.time')}</th>
              <th scope="col">{t('audit.actor')}</th>
              <th scope="col">{t('audit.action')}</th>
              <th scope="col">{t('audit.target')}</th>
              <th scope="col">{t('audit.details')}</th>
              <th scope="col">{t('audit.address')}</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <EntryRow key={e.id} entry={e} who={who(e.actor)} onRevealed={() => void load(query, null)} />
            ))}
          </tbody>
        </table>
      )}
      {cursor && (
        <button type="button" class="secondary" onClick={() => void load(query, cursor)}>
          {t('audit.more')}
        </button>
      )}

      {settings && <RetentionForm settings={settings} onSaved={setSettings} />}
      {settings && <Anchors settings={settings} />}
    </section>
  );
}

function EntryRow({ entry: e, who, onRevealed }: { entry: AuditEntryView; who: string; onRevealed: () => void }) {
  const [address, setAddress] = useState<string | null>(null);
  const reveal = async () => {
    if (!window.confirm(t('audit.confirmAddress'))) return;
    try {
      setAddress((await fetchRoute(organizationAdminRoutes.auditAddress, { params: { id: e.id } })).address);
      onRevealed();
    } catch {
      setAddress(t('audit.addressUnavailable'));
    }
  };
  const details = Object.entries(e.detail)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  return (
    <tr>
      <td>
        <time dateTime={new Date(e.at).toISOString()}>{when(e.at)}</time>
      </td>
      <td>{who}</td>
      <td>{actionLabel(e.action)}</td>
      <td>{e.targetId && <code>{e.targetId.slice(0, 12)}</code>}</td>
      <td class="muted details">{details}</td>
      <td>
        {address ??
          (e.hasAddress && (
            // The entry's id is heard, not seen: a spoken command ("show address") must match the name's start.
            <button type="button" class="secondary" onClick={() => void reveal()}>
              {t('audit.showAddress')}
              <span class="visually-hidden"> ({e.id})</span>
            </button>
          ))}
      </td>
    </tr>
  );
}

function RetentionForm({ settings, onSaved }: { settings: AuditSettings; onSaved: (s: AuditSettings) => void }) {
  const [days, setDays] = useState(String(settings.auditRetentionDays));
  const [status, setStatus] = useState<string | null>(null);
  const save = async (e: Event) => {
    e.preventDefault();
    const n = Number(days);
    if (!Number.isInteger(n) || n < AUDIT_RETENTION_MIN_DAYS || n > AUDIT_RETENTION_MAX_DAYS) return setStatus(t('audit.retentionInvalid'));
    try {
      await fetchRoute(organizationAdminRoutes.setAuditSettings, { body: { auditRetentionDays: n } });
      onSaved({ ...settings, auditRetentionDays: n });
      setStatus(t('audit.saved'));
    } catch (err) {
      setStatus(err instanceof ApiError && err.code === 'bad_request' ? t('audit.retentionInvalid') : t('audit.failed'));
    }
  };
  return (
    <form class="inline-form" onSubmit={save}>
      <label class="field">
        <span>{t('audit.retention')}</span>
        <input type="number" min={AUDIT_RETENTION_MIN_DAYS} max={AUDIT_RETENTION_MAX_DAYS} value={days} onInput={(e) => setDays((e.currentTarget as HTMLInputElement).value)} />
      </label>
      <button type="submit" class="secondary">
        {t('audit.save')}
      </button>
      {status && <span role="status">{status}</span>}
    </form>
  );
}

function Anchors({ settings }: { settings: AuditSettings }) {
  return (
    <section aria-labelledby="anchors-heading">
      <h2 id="anchors-heading">{t('audit.anchors')}</h2>
      <p class="muted">{settings.anchoring ? t('audit.anchorsHelp') : t('audit.anchoringOff')}</p>
      {settings.anchoring &&
        (settings.anchors.length === 0 ? (
          <p class="muted">{t('audit.noAnchors')}</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">{t('audit.time')}</th>
                <th scope="col">{t('audit.anchorEntry')}</th>
                <th scope="col">{t('audit.anchorHash')}</th>
              </tr>
            </thead>
            <tbody>
              {settings.anchors.map((a) => (
                <tr key={a.entryId}>
                  <td>{when(a.at)}</td>
                  <td>
                    <code>{a.entryId}</code>
                  </td>
                  <td>
                    <code class="hash">{a.hash}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
    </section>
  );
}
