import { toBase64Url } from './bytes.ts';
import { generateKeyPair, type ParticipantKeyPair } from './key-exchange.ts';

/*
 * A browser's own key pair for reading messages, kept in IndexedDB so that a reload can still read what
 * was sealed for it. The private key is a non-extractable CryptoKey: the browser stores it, no script
 * (ours included) can read its bytes.
 */

export interface DeviceKeys {
  /** Derived from the public key (deviceIdOf): how the server addresses this browser's copies. */
  deviceId: string;
  pair: ParticipantKeyPair;
  publicKey: string;
}

const DB = 'consult-keys';
const STORE = 'devices';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function run<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return open().then(
    (db) =>
      new Promise<T>((resolve, reject) => {
        const req = work(db.transaction(STORE, mode).objectStore(STORE));
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      }).finally(() => db.close()),
  );
}

/**
 * A device's id is the first 128 bits of SHA-256 over its public key (hex): it names the key, so the
 * server can check that an id and a key belong together, and no other id exists to be guessed or reused.
 */
export async function deviceIdOf(publicKey: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', publicKey));
  return [...digest.slice(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** This browser's keys under `name` (made and stored the first time). Without IndexedDB, keys for this page only. */
export async function deviceKeys(name: string): Promise<DeviceKeys> {
  try {
    const stored = await run<{ deviceId: string; pair: ParticipantKeyPair } | undefined>('readonly', (s) => s.get(name));
    if (stored) return { ...stored, publicKey: toBase64Url(stored.pair.publicKey) };
  } catch {
    // Private windows and locked-down browsers: fall through to keys for this page.
  }
  const pair = await generateKeyPair();
  const made = { deviceId: await deviceIdOf(pair.publicKey), pair };
  await run('readwrite', (s) => s.put(made, name)).catch(() => undefined);
  return { ...made, publicKey: toBase64Url(made.pair.publicKey) };
}

/** Deletes the keys (the visit is over): what was sealed for them can no longer be opened here. */
export async function forgetDeviceKeys(name: string): Promise<void> {
  await run('readwrite', (s) => s.delete(name)).catch(() => undefined);
}
