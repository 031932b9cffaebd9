import { useEffect, useState } from 'preact/hooks';
import { LocalMedia } from '../call-engine/local-media.ts';
import { LanguageSwitch } from '../i18n/LanguageSwitch.tsx';
import { useLanguage } from '../i18n/i18n.ts';
import { i18n, t } from '../strings.ts';
import { browserCanJoin } from './browser-support.ts';
import { CheckSummary } from './CheckSummary.tsx';
import { DeviceCheck } from './DeviceCheck.tsx';
import { savedDevicePreference } from './DevicePicker.tsx';
import { NetworkCheck } from './NetworkCheck.tsx';
import { recentNetworkCheck } from './recent-network-check.ts';

/**
 * `/check`: the device and network check on its own, for anyone to try before the day of the appointment
 * (no link, no check-in). A network result is kept in this browser for an hour, so checking in soon after
 * takes it along.
 */
export function CheckPage() {
  useLanguage(i18n);
  const [media, setMedia] = useState<LocalMedia | null>(null);
  const supported = browserCanJoin();
  useEffect(() => {
    document.title = `${t('checkPage.title')} · ${t('app.title')}`;
    if (!supported) return;
    let stopped = false;
    let opened: LocalMedia | undefined;
    void LocalMedia.open(savedDevicePreference()).then((m) => {
      opened = m;
      if (stopped) m.stop();
      else setMedia(m);
    });
    return () => {
      stopped = true;
      opened?.stop();
    };
  }, []);

  return (
    <div class="page">
      <header class="topbar">
        <span class="brand">{t('app.title')}</span>
        <LanguageSwitch i18n={i18n} label={t('app.language')} />
      </header>
      <main>
        <section aria-labelledby="check-heading">
          <h1 id="check-heading">{t('checkPage.title')}</h1>
          <p>{t('checkPage.intro')}</p>
          {!supported && (
            <>
              <h2>{t('app.unsupportedHeading')}</h2>
              <p role="alert">{t('e2ee.unsupported')}</p>
            </>
          )}
          {supported && !media && <p role="status">{t('link.loading')}</p>}
          {media && (
            <>
              <DeviceCheck media={media} t={t} />
              <NetworkCheck t={t} onResult={(run) => run && recentNetworkCheck.save(run)} />
              <CheckSummary media={media} t={t} shared={false} />
              <p class="hint">{t('checkPage.private')}</p>
            </>
          )}
        </section>
      </main>
    </div>
  );
}
