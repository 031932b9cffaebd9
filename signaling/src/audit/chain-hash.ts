import { createHash } from 'node:crypto';
import { HASHED_FIELDS } from './audit-scripts.ts';

/**
 * An entry's hash, as the append script computes it in Lua: SHA-256 over a version, the entry's id and each
 * hashed field as `<byte length>:<value>` (absent = empty), joined by newlines. Bytes, not strings, so an
 * entry whose bytes were changed to something that is not UTF-8 does not hash like the original.
 */
export function entryHash(id: string, fields: ReadonlyMap<string, Buffer>): string {
  const parts: Buffer[] = [Buffer.from('audit1'), Buffer.from(id)];
  for (const name of HASHED_FIELDS) {
    const v = fields.get(name) ?? Buffer.alloc(0);
    parts.push(Buffer.concat([Buffer.from(`${v.length}:`), v]));
  }
  const joined: Buffer[] = [];
  parts.forEach((p, i) => joined.push(...(i ? [Buffer.from('\n'), p] : [p])));
  return createHash('sha256').update(Buffer.concat(joined)).digest('hex');
}
