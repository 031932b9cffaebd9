import { useState } from 'preact/hooks';
import type { VerifiedIdentity as Identity } from '../../../signaling/protocol/index.ts';
import { birthDate, t } from '../strings.ts';

/**
 * Who the visitor is as BankID verified it: the name and birth date from the bank, not as typed. A
 * national identity number on record is not sent with the card (need to know): `reveal` asks for it when
 * the professional handling the visitor clicks, and the server writes each showing to the audit log.
 */
export function VerifiedIdentity({ identity, reveal }: { identity: Identity; reveal?: () => Promise<string> }) {
  const [nationalId, setNationalId] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  const [busy, setBusy] = useState(false);
  const show = async () => {
    if (!reveal || busy) return;
    setBusy(true);
    setFailed(false);
    try {
      setNationalId(await reveal());
    } catch {
      setFailed(true);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="verified-identity" role="group" aria-label={t('queue.verified')}>
      <span class="verified-mark">✓ {t('queue.verified')}</span> <strong>{identity.name}</strong>, {t('queue.born', { date: birthDate(identity.birthDate) })}
      {identity.hasNationalId && reveal && (
        <div>
          {nationalId ? (
            <>
              {t('queue.nationalId')}: <span class="national-id">{nationalId}</span>{' '}
              {/* Hiding asks nothing of the server: it is showing that is audited, and showing again is. */}
              <button type="button" class="secondary small" onClick={() => setNationalId(null)}>
                {t('queue.hideNationalId')}
              </button>
            </>
          ) : (
            <>
              <button type="button" class="secondary" disabled={busy} onClick={() => void show()}>
                {t('queue.showNationalId')}
              </button>{' '}
              <span class="muted">{t('queue.showNationalIdNote')}</span>
            </>
          )}
          {failed && (
            <p class="error" role="alert">
              {t('queue.nationalIdUnavailable')}
            </p>
          )}
        </div>
      )}
    </div>
  );
}
