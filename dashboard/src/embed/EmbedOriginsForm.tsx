import { useEffect, useState } from 'preact/hooks';
import { organizationAdminRoutes } from '../../../signaling/protocol/index.ts';
import { ApiError, fetchRoute } from '../api.ts';
import { t } from '../strings.ts';

/**
 * The origins of the records system's pages that may show ours in an iframe (frame-ancestors). Saved as
 * a whole list; the server refuses the whole list if one origin is not acceptable, and keeps the old one.
 */
export function EmbedOriginsForm() {
  const [text, setText] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    fetchRoute(organizationAdminRoutes.embedding, {}).then(
      ({ origins }) => setText(origins.join('\n')),
      () => setProblem(t('admin.failed')),
    );
  }, []);

  const save = async (e: Event) => {
    e.preventDefault();
    setProblem(null);
    setSaved(false);
    const origins = (text ?? '').split(/\s+/).filter(Boolean);
    try {
      const result = await fetchRoute(organizationAdminRoutes.setEmbedding, { body: { origins } });
      setText(result.origins.join('\n'));
      setSaved(true);
    } catch (err) {
      setProblem(err instanceof ApiError && err.code === 'bad_request' ? t('embed.admin.invalid') : t('admin.failed'));
    }
  };

  if (text === null) return <p role="status">{problem ?? t('app.loading')}</p>;
  return (
    <section aria-labelledby="embed-heading">
      <h2 id="embed-heading">{t('embed.admin.heading')}</h2>
      <p class="muted">{t('embed.admin.intro')}</p>
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      {saved && <p role="status">{t('embed.admin.saved')}</p>}
      <form onSubmit={(e) => void save(e)}>
        <label>
          {t('embed.admin.origins')}
          <textarea rows={4} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
        </label>
        <button type="submit">{t('embed.admin.save')}</button>
      </form>
    </section>
  );
}
