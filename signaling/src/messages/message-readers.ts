import { createHash } from 'node:crypto';
import type { MessageReader } from '../../protocol/index.ts';
import { badField } from '../errors.ts';
import { keys } from '../redis/keys.ts';
import type { Services } from '../services.ts';

/** The first 128 bits of SHA-256 over the raw public key, hex (as the browser derives it). */
export const deviceIdOf = (publicKey: string) => createHash('sha256').update(Buffer.from(publicKey, 'base64url')).digest('hex').slice(0, 32);

/** A dashboard's key stays usable as long as a login can last; registering again renews it. */
const DEVICE_LIFETIME_MS = 12 * 3_600_000;

interface DeviceEntry {
  professionalId: string;
  publicKey: string;
  until: number;
}

/**
 * The dashboards that read waiting-room messages: each professional's browser has its own key pair
 * (made there, the private key never leaves it) and registers its public key here. A message about a
 * visitor is sealed for each dashboard of a professional who may act on the visitor's room.
 */
export class MessageReaders {
  constructor(private readonly s: Pick<Services, 'organizations' | 'redis'>) {}

  async register(orgId: string, professionalId: string, deviceId: string, publicKey: string, now = Date.now()): Promise<void> {
    if (deviceIdOf(publicKey) !== deviceId) throw badField('deviceId', 'not the id of this key');
    const key = keys.messageDevices(orgId);
    const existing = await this.entry(orgId, deviceId);
    // A device id belongs to the professional who registered it first, while it lasts.
    if (existing && existing.professionalId !== professionalId && existing.until > now) throw new Error('device taken');
    const entry: DeviceEntry = { professionalId, publicKey, until: now + DEVICE_LIFETIME_MS };
    await this.s.redis.multi().hset(key, deviceId, JSON.stringify(entry)).pexpire(key, DEVICE_LIFETIME_MS).exec();
  }

  /** Whether this dashboard device is registered to this professional now. */
  async owns(orgId: string, professionalId: string, deviceId: string, now = Date.now()): Promise<boolean> {
    const entry = await this.entry(orgId, deviceId);
    return !!entry && entry.professionalId === professionalId && entry.until > now;
  }

  /** The dashboards of everyone who may act on the room (its members and the admins), expired ones dropped. */
  async ofRoom(orgId: string, roomId: string, now = Date.now()): Promise<MessageReader[]> {
    const key = keys.messageDevices(orgId);
    const all = await this.s.redis.hgetall(key);
    const readers: MessageReader[] = [];
    const names = new Map<string, string | null>();
    for (const [deviceId, json] of Object.entries(all)) {
      const entry = JSON.parse(json) as DeviceEntry;
      if (entry.until <= now) {
        await this.s.redis.hdel(key, deviceId);
        continue;
      }
      if (!names.has(entry.professionalId)) {
        const pro = await this.s.organizations.getProfessional(orgId, entry.professionalId);
        names.set(entry.professionalId, pro && (await this.s.organizations.mayActOn(pro, roomId)) ? pro.name : null);
      }
      const name = names.get(entry.professionalId);
      if (name) readers.push({ deviceId, professionalName: name, publicKey: entry.publicKey });
    }
    return readers;
  }

  private async entry(orgId: string, deviceId: string): Promise<DeviceEntry | null> {
    const json = await this.s.redis.hget(keys.messageDevices(orgId), deviceId);
    return json ? (JSON.parse(json) as DeviceEntry) : null;
  }
}
