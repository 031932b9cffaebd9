import { t } from '../strings.ts';

/** How this device tells the professional that someone arrived: the knock, and OS notifications. */
export function AlertSettings({ soundOn, setSoundOn, notifications, askForNotifications }: {
  soundOn: boolean;
  setSoundOn: (on: boolean) => void;
  notifications: NotificationPermission | 'unsupported';
  askForNotifications: () => void;
}) {
  return (
    <div class="alert-settings">
      <label class="check">
        <input type="checkbox" checked={soundOn} onChange={(e) => setSoundOn((e.currentTarget as HTMLInputElement).checked)} />
        {t('alerts.sound')}
      </label>
      {notifications === 'default' && (
        <button type="button" class="secondary" onClick={askForNotifications}>
          {t('alerts.turnOnNotifications')}
        </button>
      )}
      {notifications === 'granted' && <span class="muted">{t('alerts.notificationsOn')}</span>}
      {notifications === 'denied' && <span class="muted">{t('alerts.notificationsBlocked')}</span>}
    </div>
  );
}
