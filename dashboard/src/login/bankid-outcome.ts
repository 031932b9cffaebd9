import { MEMBER_BANKID_OUTCOMES, type MemberBankIdOutcome } from '../../../signaling/protocol/index.ts';

/** How a trip to the BankID broker went (`#bankid=<outcome>`), read once; the fragment is then cleared. */
export function bankIdOutcomeInLink(): MemberBankIdOutcome | null {
  const m = /^#bankid=([a-z-]+)$/.exec(location.hash);
  const outcome = MEMBER_BANKID_OUTCOMES.find((o) => o === m?.[1]) ?? null;
  if (outcome) history.replaceState(null, '', location.pathname + location.search);
  return outcome;
}

const ORGANIZATION_KEY = 'consult.bankid-organization';

/**
 * Which organization's BankID login the login page offers: from the organization's login link
 * (`?organization=<id>`), remembered on this device for next time. Nothing about anyone's e-mail is asked.
 */
export function bankIdOrganization(): string | null {
  const fromLink = new URLSearchParams(location.search).get('organization');
  if (fromLink && /^[0-9a-f]{32}$/.test(fromLink)) {
    localStorage.setItem(ORGANIZATION_KEY, fromLink);
    return fromLink;
  }
  const kept = localStorage.getItem(ORGANIZATION_KEY);
  return kept && /^[0-9a-f]{32}$/.test(kept) ? kept : null;
}
