import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../config.ts';
import { createOrganization, type TestServer } from '../test-support/test-server.ts';
import { type BankIdBroker } from '../test-support/bankid-broker.ts';
import { adminOf, brokerSettings, putBankIdSettings, startBankIdServer } from '../test-support/bankid-setup.ts';
import { AddressGuard, parseAddressRanges } from '../webhooks/address-guard.ts';
import { BrokerClients, BrokerRefusal, newFlowSecrets } from './broker-client.ts';
import type { BankIdSettings } from './bankid-settings-store.ts';

/*
 * An organization's admin types the broker's issuer, and whatever answers there names the token, JWKS and
 * userinfo addresses: none of them may point our servers at what only they can reach (Redis, the cloud's
 * metadata service, an intranet). Every request openid-client makes for an organization goes through the
 * webhooks' address guard, and the admin learns nothing from the answer but "no OpenID configuration".
 */

/** A plain HTTP listener that counts what reaches it (and answers like an OpenID provider's discovery, if asked). */
async function listener(host: string, answer: (req: http.IncomingMessage, origin: string) => unknown = () => ({})) {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer(req, origin))));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const origin = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    port: (server.address() as AddressInfo).port,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const discoveryOf = (issuer: string, at: { token: string; jwks: string }) => ({
  issuer,
  authorization_endpoint: `${issuer}/auth`,
  token_endpoint: at.token,
  jwks_uri: at.jwks,
  userinfo_endpoint: `${at.jwks}/userinfo`,
  response_types_supported: ['code'],
  subject_types_supported: ['public'],
  id_token_signing_alg_values_supported: ['RS256'],
});

describe('BankID broker addresses an admin types (real server, oidc-provider, address guard)', function () {
  this.timeout(60_000);

  it('BANKID_ALLOWED_ADDRESS_RANGES takes CIDR ranges; a malformed one stops the server with its name', () => {
    const base = { PUBLIC_ORIGIN: 'https://video.example', REDIS_URL: 'redis://127.0.0.1:1', ADDRESS_HASH_KEY: 'x'.repeat(32), DATA_ENCRYPTION_KEYS: `k:${randomBytes(32).toString('base64')}` };
    expect(loadConfig({ ...base, BANKID_ALLOWED_ADDRESS_RANGES: '10.50.0.0/16, fd00::/8' }).BANKID_ALLOWED_ADDRESS_RANGES).to.equal('10.50.0.0/16, fd00::/8');
    expect(() => loadConfig({ ...base, BANKID_ALLOWED_ADDRESS_RANGES: '10.50.0.0' })).to.throw(/BANKID_ALLOWED_ADDRESS_RANGES/);
  });

  describe('on a server that allows no private range', () => {
    let server: TestServer;
    let broker: BankIdBroker;
    let metadata: Awaited<ReturnType<typeof listener>>;
    before(async () => {
      ({ server, broker } = await startBankIdServer({ BANKID_ALLOWED_ADDRESS_RANGES: '' }));
      // Stands for what only our servers reach: it would answer as an OpenID provider if it were asked.
      metadata = await listener('127.0.0.1', (_req, origin) => discoveryOf(origin, { token: `${origin}/token`, jwks: `${origin}/jwks` }));
    });
    after(async () => {
      await metadata?.close();
      await broker?.close();
      await server?.close();
    });

    it('an issuer at a loopback, link-local, metadata or private address, or a name resolving to one, is refused with the one answer of an issuer that is not there', async () => {
      const admin = await adminOf(server, (await createOrganization(server.services)).org.id);
      const answerFor = async (issuer: string) => {
        const res = await putBankIdSettings(server, admin, brokerSettings(broker, { issuer }));
        return { status: res.status, body: await res.json() };
      };
      const nowhere = await answerFor('http://broker.invalid');
      expect(nowhere).to.deep.equal({
        status: 400,
        body: {
          error: {
            code: 'bad_request',
            message: 'issuer: no OpenID Connect configuration could be read there',
            details: { fields: [{ field: 'issuer', code: 'no OpenID Connect configuration could be read there' }] },
          },
        },
      });
      const port = new URL(broker.issuer).port;
      for (const issuer of [
        broker.issuer,
        metadata.origin,
        `http://localhost:${metadata.port}`,
        `http://[::ffff:127.0.0.1]:${metadata.port}`,
        `http://[::1]:${metadata.port}`,
        `http://0.0.0.0:${port}`,
        'http://169.254.169.254',
        'http://[fd00:ec2::254]',
        'http://100.100.100.200',
      ]) {
        expect(await answerFor(issuer), issuer).to.deep.equal(nowhere);
      }
      expect(metadata.requests(), 'requests that reached the private address').to.equal(0);
    });
  });

  describe('the token and JWKS addresses a broker names', () => {
    let issuerAt: Awaited<ReturnType<typeof listener>>;
    let privateAt: Awaited<ReturnType<typeof listener>>;
    let tokenAt: Awaited<ReturnType<typeof listener>>;
    const clientId = 'consult-test';
    const flow = { state: 'state-1', ...newFlowSecrets() };

    before(async () => {
      // Only 127.0.0.1 is allowed (the test's broker); 127.0.0.2 stands for a private address.
      privateAt = await listener('127.0.0.2');
      tokenAt = await listener('127.0.0.1', () => ({ access_token: 'a', token_type: 'Bearer', id_token: unsignedIdToken(`${issuerAt.origin}/jwks-private`, clientId, flow.nonce) }));
      issuerAt = await listener('127.0.0.1', (req, origin) =>
        req.url === '/jwks-private/.well-known/openid-configuration'
          ? discoveryOf(`${origin}/jwks-private`, { token: `${tokenAt.origin}/token`, jwks: `${privateAt.origin}/jwks` })
          : discoveryOf(`${origin}/token-private`, { token: `${privateAt.origin}/token`, jwks: `${origin}/jwks` }),
      );
    });
    after(async () => {
      for (const l of [issuerAt, privateAt, tokenAt]) await l?.close();
    });

    const settingsOf = (issuer: string): BankIdSettings => ({
      issuer,
      clientId,
      clientSecret: 'a-client-secret-of-enough-length',
      acrValues: ['urn:high'],
      collectNationalId: false,
      memberLogin: false,
      fingerprint: issuer,
    });

    it('a token or JWKS endpoint at a private address is never asked; the login is refused', async () => {
      const brokers = new BrokerClients('http://127.0.0.1/api/bankid/callback', true, new AddressGuard(parseAddressRanges('127.0.0.1/32')));
      const callback = new URL(`http://127.0.0.1/api/bankid/callback?code=the-code&state=${flow.state}`);
      for (const path of ['token-private', 'jwks-private']) {
        const settings = settingsOf(`${issuerAt.origin}/${path}`);
        expect(await brokers.check(`org-${path}`, settings), `${path}: the issuer itself is allowed`).to.equal(true);
        let refusal: unknown;
        await brokers.finish(`org-${path}`, settings, callback, flow).catch((e: unknown) => (refusal = e));
        expect(refusal, path).to.be.instanceOf(BrokerRefusal);
      }
      expect(tokenAt.requests(), 'the allowed token endpoint was used').to.equal(1);
      expect(privateAt.requests(), 'requests that reached the private address').to.equal(0);
    });
  });
});

/** An id token with good claims and a made-up signature: enough for openid-client to fetch the JWKS to check it. */
function unsignedIdToken(issuer: string, audience: string, nonce: string): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'RS256', kid: 'k1' })}.${part({ iss: issuer, aud: audience, sub: 'someone', iat: now, exp: now + 300, nonce, acr: 'urn:high' })}.${Buffer.from('not a signature').toString('base64url')}`;
}
