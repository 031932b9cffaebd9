import { useEffect, useState } from 'preact/hooks';
import {
  consultationEventTypes,
  organizationAdminRoutes,
  type ConsultationEventType,
  type WebhookDeliveryView,
  type WebhookEndpointView,
  type WebhookSecretIssued,
} from '../../../signaling/protocol/index.ts';
import { ApiError, fetchRoute } from '../api.ts';
import { dateTime, t, type StringKey } from '../strings.ts';

const when = (at: number) => dateTime(at, { dateStyle: 'short', timeStyle: 'medium' });

/**
 * Webhooks to the organization's EHR: endpoints (a URL and the events it wants; the signing secret shown
 * once, at creation and rotation) and the recent deliveries with their status, each resendable.
 */
export function WebhooksAdmin() {
  const [endpoints, setEndpoints] = useState<WebhookEndpointView[] | null>(null);
  const [deliveries, setDeliveries] = useState<WebhookDeliveryView[]>([]);
  // Where the next (older) page starts; null: none.
  const [cursor, setCursor] = useState<string | null>(null);
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<ConsultationEventType[]>([...consultationEventTypes]);

  const load = async () => {
    try {
      const [e, d] = await Promise.all([
        fetchRoute(organizationAdminRoutes.webhooks, {}),
        fetchRoute(organizationAdminRoutes.webhookDeliveries, { query: {} }),
      ]);
      setEndpoints(e.endpoints);
      setDeliveries(d.deliveries);
      setCursor(d.nextCursor);
    } catch {
      setProblem(t('admin.failed'));
    }
  };
  useEffect(() => void load(), []);

  /** The next page of older deliveries, after those shown (the cursor holds the last one's time and id). */
  const more = async (from: string) => {
    try {
      const d = await fetchRoute(organizationAdminRoutes.webhookDeliveries, { query: { cursor: from } });
      setDeliveries((shown) => [...shown, ...d.deliveries]);
      setCursor(d.nextCursor);
    } catch {
      setProblem(t('admin.failed'));
    }
  };

  const act = async (work: () => Promise<void>) => {
    setProblem(null);
    try {
      await work();
      await load();
    } catch (err) {
      setProblem(err instanceof ApiError && err.status === 400 ? t('webhooks.invalid') : err instanceof ApiError && err.code === 'delivery_pending' ? t('webhooks.stillTrying') : t('admin.failed'));
    }
  };
  const showSecret = (issued: WebhookSecretIssued) => setSecret({ url: issued.endpoint.url, secret: issued.secret });

  if (!endpoints) return <p role="status">{problem ?? t('app.loading')}</p>;
  const urlOf = (id: string) => endpoints.find((e) => e.id === id)?.url ?? t('webhooks.deletedEndpoint');
  return (
    <section aria-labelledby="webhooks-heading">
      <h2 id="webhooks-heading">{t('webhooks.heading')}</h2>
      <p class="muted">{t('webhooks.intro')}</p>
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      {secret && (
        <div role="status" class="notice">
          <p>{t('webhooks.secretOnce', { url: secret.url })}</p>
          <code aria-label={t('webhooks.secret')}>{secret.secret}</code>
          <button type="button" class="secondary" onClick={() => setSecret(null)}>
            {t('webhooks.secretSaved')}
          </button>
        </div>
      )}
      {endpoints.length === 0 ? (
        <p class="muted">{t('webhooks.none')}</p>
      ) : (
        <ul aria-label={t('webhooks.endpoints')}>
          {endpoints.map((e) => (
            <li key={e.id}>
              <strong>{e.url}</strong> <span class="muted">{e.events.join(', ')}</span>
              {e.previousSecretUntil && <p class="muted">{t('webhooks.overlap', { until: when(e.previousSecretUntil) })}</p>}
              <button type="button" class="secondary" onClick={() => act(async () => showSecret(await fetchRoute(organizationAdminRoutes.rotateWebhookSecret, { params: { id: e.id }, body: {} })))}>
                {t('webhooks.rotate')}
              </button>
              {e.previousSecretUntil && (
                <button type="button" class="secondary" onClick={() => act(() => fetchRoute(organizationAdminRoutes.endWebhookOverlap, { params: { id: e.id } }))}>
                  {t('webhooks.endOverlap')}
                </button>
              )}
              <button
                type="button"
                class="danger"
                onClick={() => confirm(t('webhooks.confirmDelete', { url: e.url })) && act(() => fetchRoute(organizationAdminRoutes.deleteWebhook, { params: { id: e.id } }))}
              >
                {t('webhooks.delete')}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form
        onSubmit={(ev) => {
          ev.preventDefault();
          void act(async () => {
            showSecret(await fetchRoute(organizationAdminRoutes.createWebhook, { body: { url: url.trim(), events } }));
            setUrl('');
          });
        }}
      >
        <h3>{t('webhooks.add')}</h3>
        <label>
          {t('webhooks.url')}
          <input type="url" required value={url} placeholder="https://ehr.example/consult-webhooks" onInput={(ev) => setUrl((ev.target as HTMLInputElement).value)} />
        </label>
        <fieldset>
          <legend>{t('webhooks.events')}</legend>
          {consultationEventTypes.map((type) => (
            <label key={type}>
              <input
                type="checkbox"
                checked={events.includes(type)}
                onChange={(ev) => setEvents((ev.target as HTMLInputElement).checked ? [...events, type] : events.filter((x) => x !== type))}
              />{' '}
              {type}
            </label>
          ))}
        </fieldset>
        <button type="submit" disabled={!events.length}>
          {t('webhooks.addButton')}
        </button>
      </form>

      <h3>{t('webhooks.deliveries')}</h3>
      {deliveries.length === 0 ? (
        <p class="muted">{t('webhooks.noDeliveries')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>{t('webhooks.time')}</th>
              <th>{t('webhooks.event')}</th>
              <th>{t('webhooks.endpoint')}</th>
              <th>{t('webhooks.status')}</th>
              <th>{t('webhooks.lastAttempt')}</th>
              <th>
                <span class="visually-hidden">{t('admin.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {deliveries.map((d) => (
              <tr key={d.id}>
                <td>{when(d.createdAt)}</td>
                <td>{d.eventType}</td>
                <td>{urlOf(d.endpointId)}</td>
                <td>
                  {t(`webhooks.status.${d.status}` as StringKey)} ({d.attempts})
                </td>
                <td>{d.lastAttempt ? `${d.lastAttempt.status ?? d.lastAttempt.error} · ${when(d.lastAttempt.at)}` : '–'}</td>
                <td>
                  {d.status !== 'pending' && (
                    <button type="button" class="secondary" onClick={() => act(() => fetchRoute(organizationAdminRoutes.resendWebhookDelivery, { params: { id: d.id } }))}>
                      {t('webhooks.resend')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor && (
        <button type="button" class="secondary" onClick={() => void more(cursor)}>
          {t('webhooks.more')}
        </button>
      )}
    </section>
  );
}
