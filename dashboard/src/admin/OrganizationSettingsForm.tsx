import { useState } from 'preact/hooks';
import { QUICK_REPLIES_MAX, type OrganizationSettings } from '../../../signaling/protocol/index.ts';
import { api } from '../api.ts';
import { t } from '../strings.ts';

/** Settings that apply to the whole organization: visitors' screen sharing, the quick replies, bookkeeping, privacy. */
export function OrganizationSettingsForm({ settings, privacyPage, act }: {
  settings: OrganizationSettings;
  privacyPage: string;
  act: (action: () => Promise<void>) => Promise<void>;
}) {
  const [replies, setReplies] = useState(settings.quickReplies.join('\n'));
  const [contact, setContact] = useState(settings.privacyContact ?? '');
  const [years, setYears] = useState(String(settings.bookkeepingYears));
  const save = (change: Partial<OrganizationSettings>) => act(() => api('PATCH', '/api/admin/organization', change));
  return (
    <section aria-labelledby="org-settings-heading">
      <h2 id="org-settings-heading">{t('admin.settings')}</h2>
      <label class="check">
        <input
          type="checkbox"
          checked={settings.visitorScreenShare}
          onChange={(e) => void save({ visitorScreenShare: (e.target as HTMLInputElement).checked })}
        />
        {t('admin.visitorScreenShare')}
      </label>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const quickReplies = replies.split('\n').map((r) => r.trim()).filter(Boolean);
          void save({ quickReplies });
        }}
      >
        <label>
          {t('admin.quickReplies', { max: QUICK_REPLIES_MAX })}
          <textarea rows={4} value={replies} onInput={(e) => setReplies((e.target as HTMLTextAreaElement).value)} />
        </label>
        <button type="submit" class="secondary">
          {t('admin.saveQuickReplies')}
        </button>
      </form>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save({ bookkeepingYears: Number(years) });
        }}
      >
        <label>
          {t('admin.bookkeepingYears')}
          <input type="number" min={1} max={10} step={1} required value={years} onInput={(e) => setYears((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" class="secondary">
          {t('admin.saveBookkeeping')}
        </button>
      </form>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save({ privacyContact: contact.trim() || null });
        }}
      >
        <label>
          {t('admin.privacyContact')}
          <input type="text" maxLength={200} placeholder="personvern@klinikk.no" value={contact} onInput={(e) => setContact((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" class="secondary">
          {t('admin.savePrivacyContact')}
        </button>
        <p class="muted">
          {t('admin.privacyPage')}{' '}
          <a href={privacyPage} target="_blank" rel="noopener">
            {privacyPage}
          </a>
        </p>
      </form>
    </section>
  );
}
