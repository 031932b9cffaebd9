import { useEffect, useState } from 'preact/hooks';
import { organizationAdminRoutes, type ApiKeyCreated, type ApiKeyInfo } from '../../../signaling/protocol/index.ts';
import { ApiError, fetchRoute } from '../api.ts';
import { dateTime, t } from '../strings.ts';

const when = (at: number) => dateTime(at, { dateStyle: 'medium', timeStyle: 'short' });

/**
 * The organization's API keys for EHR systems: make one (its secret shown this once, with a copy button),
 * see when each was made and last used, revoke one (it stops working at once).
 */
export function ApiKeysAdmin() {
  const [list, setList] = useState<ApiKeyInfo[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [copied, setCopied] = useState(false);
  const load = () => fetchRoute(organizationAdminRoutes.apiKeys, {}).then((r) => setList(r.keys), () => setProblem(t('admin.failed')));
  useEffect(() => void load(), []);

  const create = async (e: Event) => {
    e.preventDefault();
    setProblem(null);
    try {
      setCreated(await fetchRoute(organizationAdminRoutes.createApiKey, { body: { name } }));
      setCopied(false);
      setName('');
    } catch (err) {
      setProblem(err instanceof ApiError && err.code === 'bad_request' ? t('admin.badInput') : t('admin.failed'));
    }
    await load();
  };

  const revoke = async (key: ApiKeyInfo) => {
    if (!window.confirm(t('apiKeys.confirmRevoke', { name: key.name }))) return;
    setProblem(null);
    await fetchRoute(organizationAdminRoutes.revokeApiKey, { params: { id: key.id } }).catch(() => setProblem(t('admin.failed')));
    if (created?.id === key.id) setCreated(null);
    await load();
  };

  const copy = async () => {
    if (!created) return;
    await navigator.clipboard.writeText(created.key).then(() => setCopied(true), () => undefined);
  };

  return (
    <section aria-labelledby="api-keys-heading">
      <h2 id="api-keys-heading">{t('apiKeys.heading')}</h2>
      <p class="muted">
        {t('apiKeys.intro')}{' '}
        <a href="/api/v1/docs" target="_blank" rel="noopener">
          {t('apiKeys.docs')}
        </a>
      </p>
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      {created && (
        <div class="notice" role="status">
          <p>{t('apiKeys.shownOnce')}</p>
          <input class="secret" readOnly value={created.key} aria-label={created.name} onFocus={(e) => (e.currentTarget as HTMLInputElement).select()} />
          <button type="button" onClick={() => void copy()}>
            {copied ? t('apiKeys.copied') : t('apiKeys.copy')}
          </button>
          <button type="button" class="secondary" onClick={() => setCreated(null)}>
            {t('admin.done')}
          </button>
        </div>
      )}
      <form onSubmit={(e) => void create(e)}>
        <label>
          {t('apiKeys.name')}
          <input value={name} required maxLength={80} onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <button type="submit">{t('apiKeys.create')}</button>
      </form>
      {list === null ? (
        <p role="status">{t('app.loading')}</p>
      ) : list.length === 0 ? (
        <p class="muted">{t('apiKeys.none')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>{t('apiKeys.heading')}</th>
              <th>{t('apiKeys.created')}</th>
              <th>{t('apiKeys.lastUsed')}</th>
              <th>
                <span class="visually-hidden">{t('admin.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((key) => (
              <tr key={key.id}>
                <td>{key.name}</td>
                <td>{when(key.createdAt)}</td>
                <td>{key.lastUsedAt ? when(key.lastUsedAt) : t('apiKeys.never')}</td>
                <td>
                  <button type="button" class="secondary" aria-label={t('apiKeys.revokeOf', { name: key.name })} onClick={() => void revoke(key)}>
                    {t('apiKeys.revoke')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
