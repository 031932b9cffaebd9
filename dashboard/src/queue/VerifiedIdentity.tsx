import type { VerifiedIdentity as Identity } from '../../../signaling/protocol/index.ts';
import { t } from '../strings.ts';

/** Who the visitor is as BankID verified it: the name and birth date from the bank, not as typed. */
export function VerifiedIdentity({ identity }: { identity: Identity }) {
  return (
    <div class="verified-identity" role="group" aria-label={t('queue.verified')}>
      <span class="verified-mark">✓ {t('queue.verified')}</span> <strong>{identity.name}</strong>, {t('queue.born', { date: identity.birthDate })}
      {identity.nationalId && (
        <div>
          {t('queue.nationalId')}: <span class="national-id">{identity.nationalId}</span>
        </div>
      )}
    </div>
  );
}
