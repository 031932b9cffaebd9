import { useState } from 'preact/hooks';
import {
  organizationAdminRoutes,
  QUICK_REPLIES_MAX,
  REMINDER_MINUTES_CHOICES,
  RETENTION_DAYS_MAX,
  RETENTION_DAYS_MIN,
  type OrganizationSettings,
} from '../../../signaling/protocol/index.ts';
import { fetchRoute } from '../api.ts';
import { i18n, locale, setOrganizationTimeZone, t } from '../strings.ts';

/** The zones this browser knows (the server checks the choice with Intl as well), the current one first if missing. */
const knownZones = (current: string): string[] => {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return zones.includes(current) ? zones : [current, ...zones];
};

/** How long before a consultation a reminder goes, in the reader's language: "1 week", "24 hours", "30 minutes". */
function beforeWords(minutes: number): string {
  const [value, unit] = minutes % 10080 === 0 ? [minutes / 10080, 'week'] : minutes % 1440 === 0 && minutes !== 1440 ? [minutes / 1440, 'day'] : minutes % 60 === 0 ? [minutes / 60, 'hour'] : [minutes, 'minute'];
  return t('admin.reminderBefore', { duration: new Intl.NumberFormat(locale(), { style: 'unit', unit, unitDisplay: 'long' }).format(value) });
}

/** Settings that apply to the whole organization: screen sharing, quick replies, how long data is kept, bookkeeping, privacy. */
export function OrganizationSettingsForm({ settings, privacyPage, act }: {
  settings: OrganizationSettings;
  privacyPage: string;
  act: (action: () => Promise<void>) => Promise<void>;
}) {
  const [replies, setReplies] = useState(settings.quickReplies.join('\n'));
  const [contact, setContact] = useState(settings.privacyContact ?? '');
  const [years, setYears] = useState(String(settings.bookkeepingYears));
  const [retention, setRetention] = useState(String(settings.retentionDays));
  const [zone, setZone] = useState(settings.timeZone);
  const [reminders, setReminders] = useState<number[]>(settings.reminderMinutes);
  const reminderChoices = [...new Set([...REMINDER_MINUTES_CHOICES, ...settings.reminderMinutes])].sort((a, b) => b - a);
  const save = (change: Partial<OrganizationSettings>) => act(async () => void (await fetchRoute(organizationAdminRoutes.updateSettings, { body: change })));
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
        aria-labelledby="retention-heading"
        onSubmit={(e) => {
          e.preventDefault();
          const days = Number(retention);
          // Shortening deletes data at once: say so before doing it.
          if (days < settings.retentionDays && !window.confirm(i18n.plural('admin.retentionShorten', days, { days }))) return;
          void save({ retentionDays: days });
        }}
      >
        <h3 id="retention-heading">{t('admin.retention')}</h3>
        <p class="muted">{t('admin.retentionCovers')}</p>
        <label>
          {t('admin.retentionDays')}
          <input type="number" min={RETENTION_DAYS_MIN} max={RETENTION_DAYS_MAX} step={1} required value={retention} onInput={(e) => setRetention((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" class="secondary">
          {t('admin.saveRetention')}
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
        aria-labelledby="time-zone-heading"
        onSubmit={(e) => {
          e.preventDefault();
          void act(async () => {
            await fetchRoute(organizationAdminRoutes.updateSettings, { body: { timeZone: zone } });
            setOrganizationTimeZone(zone);
          });
        }}
      >
        <h3 id="time-zone-heading">{t('admin.timeZone')}</h3>
        <p class="muted">{t('admin.timeZoneCovers')}</p>
        <label>
          {t('admin.timeZoneLabel')}
          <select value={zone} onChange={(e) => setZone((e.target as HTMLSelectElement).value)}>
            {knownZones(settings.timeZone).map((z) => (
              <option key={z} value={z}>
                {z}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="secondary">
          {t('admin.saveTimeZone')}
        </button>
      </form>
      <form
        class="reminders"
        aria-labelledby="reminders-heading"
        onSubmit={(e) => {
          e.preventDefault();
          void save({ reminderMinutes: reminders });
        }}
      >
        <h3 id="reminders-heading">{t('admin.reminders')}</h3>
        <p class="muted">{t('admin.remindersCovers')}</p>
        {reminderChoices.map((minutes) => (
          <label class="check" key={minutes}>
            <input
              type="checkbox"
              checked={reminders.includes(minutes)}
              disabled={!reminders.includes(minutes) && reminders.length >= 5}
              onChange={(e) => {
                const on = (e.target as HTMLInputElement).checked;
                setReminders((list) => (on ? [...list, minutes] : list.filter((m) => m !== minutes)).sort((a, b) => b - a));
              }}
            />
            {beforeWords(minutes)}
          </label>
        ))}
        <button type="submit" class="secondary">
          {t('admin.saveReminders')}
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
