import { useEffect, useState } from 'preact/hooks';
import { organizationAdminRoutes, type BankIdSettingsInfo, type BankIdSettingsUpdate, type MemberBankIdList, type MemberInfo } from '../../../signaling/protocol/index.ts';
import { ApiError, fetchRoute } from '../api.ts';
import { t } from '../strings.ts';

/** Norwegian BankID's levels: substantial and high both accepted until the admin says otherwise. */
const DEFAULT_ACR = 'urn:grn:authn:no:bankid:substantial urn:grn:authn:no:bankid:high';

/**
 * The organization's BankID broker, in plain words: what each setting means, the address to give the
 * broker, and the members whose BankID waits for approval. The client secret is never shown again.
 */
export function BankIdSettingsForm({ members }: { members: MemberInfo[] }) {
  const [info, setInfo] = useState<BankIdSettingsInfo | null>(null);
  const [bindings, setBindings] = useState<MemberBankIdList['members']>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [issuer, setIssuer] = useState('');
  const [clientId, setClientId] = useState('');
  const [clientSecret, setClientSecret] = useState('');
  const [acr, setAcr] = useState(DEFAULT_ACR);
  const [collectNationalId, setCollectNationalId] = useState(false);
  const [memberLogin, setMemberLogin] = useState(false);

  const load = async () => {
    const next = await fetchRoute(organizationAdminRoutes.bankId, {});
    setInfo(next);
    if (next.settings) {
      setIssuer(next.settings.issuer);
      setClientId(next.settings.clientId);
      setAcr(next.settings.acrValues.join(' '));
      setCollectNationalId(next.settings.collectNationalId);
      setMemberLogin(next.settings.memberLogin);
    }
    setBindings((await fetchRoute(organizationAdminRoutes.bankIdMembers, {})).members);
  };
  useEffect(() => void load().catch(() => setProblem(t('admin.failed'))), []);

  const run = async (action: () => Promise<void>) => {
    setProblem(null);
    setSaved(false);
    try {
      await action();
      await load();
    } catch (err) {
      const code = err instanceof ApiError ? err.code : '';
      setProblem(code === 'bad_request' ? t('bankid.admin.invalid') : code === 'not_found' ? t('bankid.admin.nothingWaits') : t('admin.failed'));
    }
  };

  if (!info) return <p role="status">{problem ?? t('app.loading')}</p>;

  const save = (e: Event) => {
    e.preventDefault();
    const body: BankIdSettingsUpdate = {
      issuer: issuer.trim(),
      clientId: clientId.trim(),
      acrValues: acr.split(/\s+/).filter(Boolean),
      collectNationalId,
      memberLogin,
      ...(clientSecret ? { clientSecret } : {}),
    };
    void run(async () => {
      await fetchRoute(organizationAdminRoutes.setBankId, { body });
      setClientSecret('');
      setSaved(true);
    });
  };
  const nameOf = (id: string) => members.find((m) => m.id === id)?.name ?? id;
  const waiting = bindings.filter((b) => b.state !== 'none');

  return (
    <section aria-labelledby="bankid-heading">
      <h2 id="bankid-heading">{t('bankid.admin.heading')}</h2>
      <p class="muted">{t('bankid.admin.intro')}</p>
      <p class="muted">
        {t('bankid.admin.redirectUri')} <code>{info.redirectUri}</code>
      </p>
      {problem && <p class="error" role="alert">{problem}</p>}
      {saved && <p role="status">{t('bankid.admin.saved')}</p>}
      <form onSubmit={save}>
        <label class="field">
          <span>{t('bankid.admin.issuer')}</span>
          <input type="url" required value={issuer} placeholder="https://example.criipto.id" onInput={(e) => setIssuer((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <p class="muted">{t('bankid.admin.issuerHelp')}</p>
        <label class="field">
          <span>{t('bankid.admin.clientId')}</span>
          <input required value={clientId} onInput={(e) => setClientId((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label class="field">
          <span>{t('bankid.admin.clientSecret')}</span>
          <input
            type="password"
            autocomplete="off"
            value={clientSecret}
            required={!info.settings}
            placeholder={info.settings?.clientSecretSet ? t('bankid.admin.secretKept') : ''}
            onInput={(e) => setClientSecret((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        <p class="muted">{t('bankid.admin.secretHelp')}</p>
        <label class="field">
          <span>{t('bankid.admin.acr')}</span>
          <input required value={acr} onInput={(e) => setAcr((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <p class="muted">{t('bankid.admin.acrHelp')}</p>
        <label class="check">
          <input type="checkbox" checked={collectNationalId} onChange={(e) => setCollectNationalId((e.currentTarget as HTMLInputElement).checked)} />
          {t('bankid.admin.collectNationalId')}
        </label>
        <p class="muted">{t('bankid.admin.collectHelp')}</p>
        <label class="check">
          <input type="checkbox" checked={memberLogin} disabled={!info.memberLoginAvailable} onChange={(e) => setMemberLogin((e.currentTarget as HTMLInputElement).checked)} />
          {t('bankid.admin.memberLogin')}
        </label>
        <p class="muted">{info.memberLoginAvailable ? t('bankid.admin.memberLoginHelp') : t('bankid.admin.memberLoginUnavailable')}</p>
        <button type="submit">{t('bankid.admin.save')}</button>
        {info.settings && (
          <button type="button" class="secondary danger" onClick={() => window.confirm(t('bankid.admin.confirmRemove')) && void run(() => fetchRoute(organizationAdminRoutes.removeBankId, {}))}>
            {t('bankid.admin.remove')}
          </button>
        )}
      </form>
      {info.settings?.memberLogin && (
        <>
          <p class="muted">
            {t('bankid.admin.loginLink')} <a href={info.loginLink}>{info.loginLink}</a>
          </p>
          <h3>{t('bankid.admin.members')}</h3>
          {waiting.length === 0 ? (
            <p class="muted">{t('bankid.admin.noMembers')}</p>
          ) : (
            <ul>
              {waiting.map((b) => (
                <li key={b.id}>
                  {nameOf(b.id)}: {b.state === 'pending' ? t('bankid.admin.pending') : t('bankid.admin.bound')}{' '}
                  {b.state === 'pending' && (
                    <button type="button" aria-label={t('bankid.admin.approveFor', { name: nameOf(b.id) })} onClick={() => void run(() => fetchRoute(organizationAdminRoutes.approveBankId, { params: { id: b.id } }))}>
                      {t('bankid.admin.approve')}
                    </button>
                  )}{' '}
                  <button type="button" class="secondary danger" aria-label={t('bankid.admin.unbindFor', { name: nameOf(b.id) })} onClick={() => void run(() => fetchRoute(organizationAdminRoutes.removeBankIdBinding, { params: { id: b.id } }))}>
                    {t('bankid.admin.unbind')}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}
