import { useEffect, useState } from 'preact/hooks';
import { organizationAdminRoutes, type EmailStatus } from '../../../signaling/protocol/index.ts';
import { fetchRoute } from '../api.ts';
import { t } from '../strings.ts';

/**
 * For admins: whether this server sends e-mail, and if not, what its operator sets to turn it on (the
 * SMTP settings are the deployment's, not the organization's, so there is nothing to fill in here).
 */
export function EmailSettings() {
  const [status, setStatus] = useState<EmailStatus | null>(null);
  const [problem, setProblem] = useState(false);
  useEffect(() => void fetchRoute(organizationAdminRoutes.email, {}).then(setStatus, () => setProblem(true)), []);

  return (
    <section aria-labelledby="email-heading">
      <h2 id="email-heading">{t('email.heading')}</h2>
      {problem ? (
        <p class="error" role="alert">{t('email.failed')}</p>
      ) : !status ? (
        <p role="status">{t('app.loading')}</p>
      ) : status.available ? (
        <p>{t('email.on', { from: status.from ?? '' })}</p>
      ) : (
        <p class="notice">{t('email.off')}</p>
      )}
    </section>
  );
}
