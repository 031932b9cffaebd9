import { useState } from 'preact/hooks';
import { organizationAdminRoutes, type InviteeMatch, type VisitorMatch } from '../../../signaling/protocol/index.ts';
import { ApiError, fetchRoute } from '../api.ts';
import { dateTime, t } from '../strings.ts';

/**
 * A visitor's rights, exercised by an admin on their behalf: find them, download everything held about
 * them, correct their name or phone number, or erase them at once; the same (but correcting) for someone
 * invited by text message or e-mail, found by that number or address, who may never have come. Each of
 * these is in the audit log.
 */
export function VisitorData() {
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<VisitorMatch[] | null>(null);
  const [invited, setInvited] = useState<InviteeMatch[]>([]);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);

  const search = async (e?: Event) => {
    e?.preventDefault();
    setMessage(null);
    try {
      const result = await fetchRoute(organizationAdminRoutes.searchVisitors, { body: { q: query.trim() } });
      setFound(result.visitors);
      setInvited(result.invitees);
    } catch (err) {
      setMessage({ text: err instanceof ApiError && err.status === 400 ? t('visitors.queryTooShort') : t('admin.failed'), error: true });
    }
  };

  const erase = async (v: VisitorMatch) => {
    if (!window.confirm(t('visitors.confirmErase', { name: v.name || v.visitorId }))) return;
    try {
      await fetchRoute(organizationAdminRoutes.eraseVisitor, { params: { id: v.visitorId } });
      setFound((list) => list?.filter((x) => x.visitorId !== v.visitorId) ?? null);
      setMessage({ text: t('visitors.erased', { name: v.name || v.visitorId }), error: false });
    } catch {
      setMessage({ text: t('admin.failed'), error: true });
    }
  };

  const eraseInvitee = async (i: InviteeMatch) => {
    if (!window.confirm(t('visitors.confirmEraseInvitee', { contact: i.contact }))) return;
    try {
      await fetchRoute(organizationAdminRoutes.eraseInvitee, { params: { id: i.inviteeId } });
      setInvited((list) => list.filter((x) => x.inviteeId !== i.inviteeId));
      setMessage({ text: t('visitors.inviteeErased', { contact: i.contact }), error: false });
    } catch {
      setMessage({ text: t('admin.failed'), error: true });
    }
  };

  return (
    <section aria-labelledby="visitor-data-heading">
      <h1 id="visitor-data-heading">{t('visitors.heading')}</h1>
      <p class="muted">{t('visitors.intro')}</p>
      <form role="search" onSubmit={(e) => void search(e)} class="inline-form">
        <label class="field">
          <span>{t('visitors.query')}</span>
          <input value={query} onInput={(e) => setQuery((e.currentTarget as HTMLInputElement).value)} minLength={2} required />
        </label>
        <button type="submit">{t('visitors.find')}</button>
      </form>
      {message && (
        <p class={message.error ? 'error' : 'notice'} role={message.error ? 'alert' : 'status'}>
          {message.text}
        </p>
      )}
      {found && found.length === 0 && invited.length === 0 && <p class="muted">{t('visitors.none')}</p>}
      {found && found.length > 0 && (
        <ul class="visitor-records">
          {found.map((v) => (
            <VisitorRow key={v.visitorId} visitor={v} onErase={() => void erase(v)} onCorrected={() => void search()} />
          ))}
        </ul>
      )}
      {invited.length > 0 && (
        <section aria-labelledby="invited-heading">
          <h2 id="invited-heading">{t('visitors.invitedHeading')}</h2>
          <p class="muted">{t('visitors.invitedIntro')}</p>
          <ul class="visitor-records">
            {invited.map((i) => (
              <InviteeRow key={i.inviteeId} invitee={i} onErase={() => void eraseInvitee(i)} />
            ))}
          </ul>
        </section>
      )}
    </section>
  );
}

function InviteeRow({ invitee: i, onErase }: { invitee: InviteeMatch; onErase: () => void }) {
  return (
    <li aria-label={i.contact}>
      <strong>{t(i.channel === 'sms' ? 'visitors.invitedBy.sms' : 'visitors.invitedBy.email', { contact: i.contact })}</strong>
      <ul class="muted">
        {i.consultations.map((c) => (
          <li key={c.consultationId}>
            {c.scheduledAt === null
              ? t('visitors.invitedAnyTime', { room: c.roomName })
              : t('visitors.invitedTo', { room: c.roomName, time: dateTime(c.scheduledAt, { dateStyle: 'short', timeStyle: 'short' }) })}
          </li>
        ))}
      </ul>
      <div class="row-actions">
        <a href={`/api/admin/invitees/${i.inviteeId}/export`} download={`invitee-${i.inviteeId}.json`}>
          {t('visitors.export')}
        </a>
        <button type="button" class="secondary danger" onClick={onErase}>
          {t('visitors.erase')}
        </button>
      </div>
    </li>
  );
}

function VisitorRow({ visitor: v, onErase, onCorrected }: { visitor: VisitorMatch; onErase: () => void; onCorrected: () => void }) {
  const [correcting, setCorrecting] = useState(false);
  const [name, setName] = useState(v.name);
  const [phone, setPhone] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const correct = async (e: Event) => {
    e.preventDefault();
    const change = { ...(name.trim() !== v.name ? { name } : {}), ...(phone.trim() ? { phone } : {}) };
    if (!Object.keys(change).length) return setCorrecting(false);
    try {
      await fetchRoute(organizationAdminRoutes.correctVisitor, { params: { id: v.visitorId }, body: change });
      setCorrecting(false);
      setProblem(null);
      onCorrected();
    } catch (err) {
      setProblem(err instanceof ApiError && err.status === 400 ? t('visitors.correctionInvalid') : t('admin.failed'));
    }
  };
  return (
    <li aria-label={v.name || v.visitorId}>
      <strong>{v.name || t('visitors.noName')}</strong> <span class="muted">{t('visitors.arrived', { room: v.roomName, time: dateTime(v.arrivedAt, { dateStyle: 'short', timeStyle: 'short' }) })}</span>
      <div class="row-actions">
        <a href={`/api/admin/visitors/${v.visitorId}/export`} download={`visitor-${v.visitorId}.json`}>
          {t('visitors.export')}
        </a>
        <button type="button" class="secondary" onClick={() => setCorrecting((c) => !c)}>
          {t('visitors.correct')}
        </button>
        <button type="button" class="secondary danger" onClick={onErase}>
          {t('visitors.erase')}
        </button>
      </div>
      {correcting && (
        <form onSubmit={(e) => void correct(e)} class="inline-form" aria-label={t('visitors.correctionOf', { name: v.name || v.visitorId })}>
          <label class="field">
            <span>{t('visitors.name')}</span>
            <input value={name} onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
          </label>
          <label class="field">
            <span>{t('visitors.phone')}</span>
            <input value={phone} inputMode="tel" onInput={(e) => setPhone((e.currentTarget as HTMLInputElement).value)} />
          </label>
          <button type="submit">{t('visitors.saveCorrection')}</button>
          {problem && (
            <p class="error" role="alert">
              {problem}
            </p>
          )}
        </form>
      )}
    </li>
  );
}
