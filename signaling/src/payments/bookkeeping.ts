/**
 * When a payment's bookkeeping record may go: at the end of its financial year (the calendar year, as for
 * Nordic clinics) plus the organization's bookkeeping period, e.g. a payment in March 2026 kept 5 years
 * goes at the start of 2032. Counted at midnight UTC, a little after midnight in the Nordics: a record is
 * kept an hour too long rather than too short.
 */
export function bookkeepingExpiry(paidAt: number, years: number): number {
  const year = new Date(paidAt).getUTCFullYear();
  return Date.UTC(year + 1 + years, 0, 1);
}
