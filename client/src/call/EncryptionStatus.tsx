import type { CallSnapshot } from '../call-engine/call-engine.ts';
import type { Translate } from './call-strings.ts';
import { LockIcon } from './icons.tsx';

/**
 * The lock and the safety code, with what they mean; or, in the benchmark build, a plain statement that
 * the call is not encrypted; or, anywhere else, that a call offered unencrypted was refused. Shown on both
 * sides of every call.
 */
export function EncryptionStatus({ call, t }: { call: CallSnapshot; t: Translate }) {
  const { encryption } = call;
  if (encryption.mode === 'refused') {
    return (
      <p class="encryption error" role="alert">
        {t('e2ee.refused')}
      </p>
    );
  }
  if (encryption.mode === 'off-for-benchmark') {
    return (
      <p class="encryption off" role="alert">
        {t('e2ee.off')}
      </p>
    );
  }
  return (
    <div class="encryption" aria-label={t('e2ee.encrypted')}>
      <span class="lock">
        <LockIcon />
      </span>
      <span>{t('e2ee.encrypted')}</span>
      {encryption.safetyCode ? (
        <span class="safety-code">
          {t('e2ee.safetyCode')}: <strong data-testid="safety-code">{encryption.safetyCode}</strong>
        </span>
      ) : (
        <span class="safety-code">{t('e2ee.waitingForKeys')}</span>
      )}
      <details class="help">
        <summary>{t('e2ee.help')}</summary>
        <p>{t('e2ee.helpText')}</p>
      </details>
    </div>
  );
}
