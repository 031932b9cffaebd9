import { z } from 'zod';
import { LOCALES, type Language } from './language.ts';

/*
 * Times people read (SMS texts, the visitor's pages, the dashboard) are in the organization's time zone,
 * not the server's (UTC) nor the reader's browser's: an appointment at a Norwegian clinic is at Oslo's
 * hour wherever the phone or laptop happens to be set.
 */

/** Until an organization's admin chooses another. */
export const DEFAULT_TIME_ZONE = 'Europe/Oslo';

/** An IANA zone name that Intl knows (so every formatter below accepts it), e.g. Europe/Oslo or UTC. */
export const timeZone = z
  .string()
  .trim()
  .max(64)
  .refine(
    (v) => {
      // Names only: Intl also takes fixed offsets (+01:00), which would not follow daylight saving.
      if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/.test(v)) return false;
      try {
        new Intl.DateTimeFormat('en', { timeZone: v });
        return true;
      } catch {
        return false;
      }
    },
    { error: 'time_zone_invalid' },
  );

/** The languages the service speaks, and the conventions their times are written in. */
export type TimeLanguage = Language;
export const localeOf = (lang: TimeLanguage): string => LOCALES[lang] ?? 'en-GB';

/** When an appointment is, in full: "Sunday 28 March 2027 at 10:00" / "søndag 28. mars 2027 kl. 10:00". */
export const appointmentTime = (at: number, zone: string, lang: TimeLanguage): string =>
  new Intl.DateTimeFormat(localeOf(lang), { dateStyle: 'full', timeStyle: 'short', timeZone: zone }).format(at);

/** A time of day: "14:00". */
export const clockTimeIn = (at: number, zone: string, lang: TimeLanguage): string =>
  new Intl.DateTimeFormat(localeOf(lang), { hour: '2-digit', minute: '2-digit', timeZone: zone }).format(at);

/**
 * A calendar date ("1970-01-01", a birth date) written out: "1 January 1970" / "1. januar 1970". It names a
 * day, not an instant, so it is read and written at UTC: in a zone west of Greenwich, midnight UTC would be
 * the day before. Anything that is not such a date is returned as it came.
 */
export function calendarDate(isoDate: string, lang: TimeLanguage): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate);
  if (!m) return isoDate;
  return new Intl.DateTimeFormat(localeOf(lang), { dateStyle: 'long', timeZone: 'UTC' }).format(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
}

/**
 * The instant at which the clock in `zone` shows this wall time ("2027-03-28T10:00", as a datetime-local
 * input gives it), or NaN. A wall time that does not exist (skipped at the spring change) moves forward by
 * the gap; one that happens twice (autumn) is the first.
 */
export function wallTimeToInstant(wall: string, zone: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(wall);
  if (!m) return NaN;
  const asUtc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  const offsetAt = (at: number) => {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
        .formatToParts(at)
        .map((p) => [p.type, p.value]),
    );
    return Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute)) - at;
  };
  // Read with the offset of the day before, then of the day after: the first that shows this wall time.
  const early = asUtc - offsetAt(asUtc - 86_400_000);
  if (early + offsetAt(early) === asUtc) return early;
  const late = asUtc - offsetAt(asUtc + 86_400_000);
  if (late + offsetAt(late) === asUtc) return late;
  return early; // in the spring gap: the old offset lands past it
}

/** The same instant as a datetime-local input's value in `zone`. */
export function instantToWallTime(at: number, zone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}
