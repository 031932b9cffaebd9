import { compareBytes, concatBytes, utf8 } from './bytes.ts';

/**
 * Six digits from everyone's public keys, the same in every browser of the call whatever the order of
 * joining. The server relays the public keys, so it could swap them for its own; the people in the call
 * reading the code aloud and finding it equal is what shows that no one did.
 */
export async function safetyCode(publicKeys: Uint8Array<ArrayBuffer>[]): Promise<string> {
  const sorted = [...publicKeys].sort(compareBytes);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', concatBytes(utf8('consult safety code v1'), ...sorted)));
  // 40 bits reduced to 6 digits: the bias is below one in a million.
  let n = 0;
  for (let i = 0; i < 5; i++) n = n * 256 + digest[i]!;
  const digits = String(n % 1_000_000).padStart(6, '0');
  return `${digits.slice(0, 3)} ${digits.slice(3)}`;
}
