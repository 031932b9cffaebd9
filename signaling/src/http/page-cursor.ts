/**
 * A page cursor over a sorted set ordered by score (a time), newest first: the score and id of the last
 * entry of the page before. The id breaks ties, so entries with the same score (the same millisecond) are
 * neither skipped nor repeated from one page to the next. Opaque to callers (base64url).
 */
export interface PageCursor {
  score: number;
  id: string;
}

export function encodePageCursor(c: PageCursor): string {
  return Buffer.from(`${c.score}.${c.id}`).toString('base64url');
}

/** The cursor, or null for anything this server did not make (ids are 32 hex digits). */
export function decodePageCursor(cursor: string): PageCursor | null {
  const m = /^(\d{1,16})\.([0-9a-f]{32})$/.exec(Buffer.from(cursor, 'base64url').toString());
  return m ? { score: Number(m[1]), id: m[2]! } : null;
}

/**
 * Whether an entry of a newest-first read at or below the cursor's score comes after the cursor: equal
 * scores are read in descending id order (ZREVRANGEBYSCORE), so only smaller ids are new.
 */
export const isAfterCursor = (entry: PageCursor, after: PageCursor | null): boolean => !(after && entry.score === after.score && entry.id >= after.id);
