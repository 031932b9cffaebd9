import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ServerProcess } from '../../infra/e2e/server-process.ts';
import { FieldCipher } from './crypto/field-cipher.ts';
import { OrganizationStore } from './organizations/organization-store.ts';
import { connectRedis } from './redis/connection.ts';
import { keys } from './redis/keys.ts';
import type { Services } from './services.ts';
import { startRedis, type TestRedis } from './test-support/redis-server.ts';
import { createOrganization } from './test-support/test-server.ts';

/*
 * Secrets apart from data: a container platform mounts each secret as a file and names it in
 * `<NAME>_FILE`. The server (a process of its own, as deployed) reads them there; a setting given both
 * ways, or a file it cannot read, stops the start with a message naming the variable, never the content.
 */
describe('secret settings from files (<NAME>_FILE, a real server process and Redis)', function () {
  this.timeout(90_000);
  let redis: TestRedis;
  let dir: string;
  const dataKeys = `fromfile:${randomBytes(32).toString('base64')}`;
  const addressHashKey = randomBytes(32).toString('hex');

  const secretFile = (name: string, content: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content, { mode: 0o600 });
    return file;
  };
  /** The start's failure: its exit and what it printed. */
  const refusedStart = async (env: Record<string, string>) => {
    try {
      const server = await ServerProcess.start(redis.url, env);
      await server.stop();
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('the server started');
  };

  before(async () => {
    redis = await startRedis();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consult-secrets-'));
  });
  after(async () => {
    await redis?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads the data keys, the address hash key and the Redis address (with its password) from files', async () => {
    const server = await ServerProcess.start('', {
      REDIS_URL: '',
      REDIS_URL_FILE: secretFile('redis-url', `${redis.url}\n`),
      DATA_ENCRYPTION_KEYS: '',
      DATA_ENCRYPTION_KEYS_FILE: secretFile('data-keys', `${dataKeys}\n`),
      ADDRESS_HASH_KEY: '',
      ADDRESS_HASH_KEY_FILE: secretFile('address-hash-key', addressHashKey),
    });
    const client = connectRedis(redis.url);
    try {
      const organizations = new OrganizationStore(client, FieldCipher.fromSetting(dataKeys), addressHashKey);
      const org = await createOrganization({ organizations } as Pick<Services, 'organizations'> as Services);
      const res = await fetch(`${server.url}/api/visits`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: server.url },
        body: JSON.stringify({ roomSlug: org.room.slug, answers: { name: 'Åse Fjeldstad' } }),
      });
      expect(res.status).to.equal(201);
      const { visitorId } = (await res.json()) as { visitorId: string };
      // Sealed under the key from the file, and it opens with that key.
      const sealed = (await client.hget(keys.visitor(org.org.id, visitorId), 'name'))!;
      expect(sealed).to.match(/^f1\.fromfile\./);
      expect(FieldCipher.fromSetting(dataKeys).open(sealed, `visitor:${org.org.id}:${visitorId}:name`)).to.equal('Åse Fjeldstad');
    } finally {
      await client.quit();
      await server.stop();
    }
  });

  it('a setting given both ways is refused, naming it', async () => {
    const message = await refusedStart({ DATA_ENCRYPTION_KEYS: dataKeys, DATA_ENCRYPTION_KEYS_FILE: secretFile('both', dataKeys) });
    expect(message).to.match(/server exited \(1\)/);
    expect(message).to.include('DATA_ENCRYPTION_KEYS_FILE: DATA_ENCRYPTION_KEYS is set too');
  });

  it('a missing file stops the start, naming the variable and the path', async () => {
    const missing = path.join(dir, 'no-such-secret');
    const message = await refusedStart({ ADDRESS_HASH_KEY: '', ADDRESS_HASH_KEY_FILE: missing });
    expect(message).to.match(/server exited \(1\)/);
    expect(message).to.include(`ADDRESS_HASH_KEY_FILE: cannot read ${missing} (ENOENT)`);
  });

  it('an unreadable file stops the start, naming it, and nothing of any secret is printed', async () => {
    // A directory where the file should be: unreadable even for root, who reads any file's mode.
    const notAFile = fs.mkdtempSync(path.join(dir, 'mounted-wrong-'));
    const stripeSecret = `sk_test_${randomBytes(16).toString('hex')}`;
    const message = await refusedStart({
      DATA_ENCRYPTION_KEYS: '',
      DATA_ENCRYPTION_KEYS_FILE: notAFile,
      STRIPE_SECRET_KEY_FILE: secretFile('stripe', stripeSecret),
      STRIPE_WEBHOOK_SECRET_FILE: path.join(dir, 'no-webhook-secret'),
    });
    expect(message).to.include(`DATA_ENCRYPTION_KEYS_FILE: cannot read ${notAFile} (EISDIR)`);
    expect(message).to.include('STRIPE_WEBHOOK_SECRET_FILE: cannot read');
    expect(message).not.to.include(stripeSecret);
    expect(message).not.to.include(dataKeys.split(':')[1]);
  });
});
