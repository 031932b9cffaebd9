import http from 'node:http';
import { createPrivateKey, generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';

/*
 * A stand-in for a BankID broker (Criipto, Signicat...): a real OpenID Connect provider (`oidc-provider`)
 * in this process on 127.0.0.1, with one static client, PKCE required, and test persons with BankID-like
 * claims. People log in on the provider's own development login page (a real form, which tests fill in
 * over HTTP or with Playwright): any password, the login is the test person's key.
 *
 * It can misbehave for negative tests: `misbehave(mode)` rewrites the next token responses' id token
 * (expired, signed with a key not in its JWKS, another issuer, another audience, another nonce), re-signed
 * with the private key the stand-in generated, so only the one defect is there.
 */

export const ACR = {
  substantial: 'urn:grn:authn:no:bankid:substantial',
  high: 'urn:grn:authn:no:bankid:high',
};

export interface TestPerson {
  /** What is typed into the login field of the broker's page. */
  login: string;
  name: string;
  /** YYYY-MM-DD */
  birthdate: string;
  /** The Norwegian national identity number (fødselsnummer), as brokers give it in `socialno`. */
  socialno: string;
  acr: string;
}

export const TEST_PERSONS = {
  ola: { login: 'ola', name: 'Ola Nordmann', birthdate: '1970-01-01', socialno: '01017012345', acr: ACR.substantial },
  kari: { login: 'kari', name: 'Kari Nordmann', birthdate: '1985-05-17', socialno: '17058512345', acr: ACR.high },
  per: { login: 'per', name: 'Per Hansen', birthdate: '1990-03-03', socialno: '03039012345', acr: ACR.high },
} satisfies Record<string, TestPerson>;

export type Misbehaviour = 'expired' | 'foreign-key' | 'wrong-issuer' | 'wrong-audience' | 'wrong-nonce';

export interface BankIdBroker {
  /** The issuer, e.g. http://127.0.0.1:41234 */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Each person's stable `sub` at this broker. */
  subOf(person: TestPerson): string;
  /** Rewrites every id token from now on in this way (null: behave). */
  misbehave(mode: Misbehaviour | null): void;
  /** How many times the token endpoint answered with an id token (to see a refusal was ours, not the broker's). */
  tokensIssued(): number;
  close(): Promise<void>;
}

export async function startBankIdBroker(opts: { redirectUris: string[]; persons?: TestPerson[] }): Promise<BankIdBroker> {
  const persons = opts.persons ?? Object.values(TEST_PERSONS);
  const subs = new Map<string, string>(persons.map((p) => [p.login, randomUUID()]));
  const byAccountId = new Map(persons.map((p) => [subs.get(p.login)!, p]));
  const clientId = `consult-${randomBytes(4).toString('hex')}`;
  const clientSecret = randomBytes(32).toString('base64url');

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `broker-${randomBytes(4).toString('hex')}`;
  const signingJwk = { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
  const foreignKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: opts.redirectUris,
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [signingJwk as never] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    pkce: { required: () => true },
    acrValues: [ACR.substantial, ACR.high],
    scopes: ['openid', 'profile', 'ssn'],
    claims: { openid: ['sub'], profile: ['name', 'birthdate'], ssn: ['socialno'] },
    // As brokers do: the claims go in the id token itself, so no userinfo call is needed.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    ttl: { Interaction: 600, Session: 600, Grant: 600, AuthorizationCode: 60, AccessToken: 600, IdToken: 600 },
    // No consent screen: a broker's client is the organization's own service.
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const accountId = ctx.oidc.session?.accountId;
      if (!accountId || !ctx.oidc.client) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId });
      grant.addOIDCScope(String(ctx.oidc.params?.scope ?? 'openid'));
      await grant.save();
      return grant;
    },
    async findAccount(_ctx, sub) {
      const person = byAccountId.get(sub);
      if (!person) return undefined;
      return {
        accountId: sub,
        async claims() {
          return { sub, name: person.name, birthdate: person.birthdate, socialno: person.socialno };
        },
      };
    },
  });
  // Quiet: the provider's own notices (development interactions) are not test output.
  provider.on('server_error', () => undefined);

  let mode: Misbehaviour | null = null;
  let issued = 0;

  // The development login form names only the account; the level of assurance (acr) a real BankID login
  // carries is the person's, so the login submission is finished here with it.
  provider.use(async (ctx, next) => {
    if (ctx.method === 'POST' && /^\/interaction\/[^/]+$/.test(ctx.path)) {
      const form = new URLSearchParams(await readBody(ctx.req));
      const person = persons.find((p) => p.login === form.get('login'));
      if (form.get('prompt') !== 'login' || !person) {
        ctx.status = 400;
        ctx.body = 'unknown test person';
        return;
      }
      const returnTo = await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: subs.get(person.login)!, acr: person.acr } }, { mergeWithLastSubmission: false });
      ctx.status = 303;
      ctx.redirect(returnTo);
      return;
    }
    await next();
    if (ctx.path === '/token' && ctx.status === 200 && typeof ctx.body === 'object' && ctx.body && 'id_token' in ctx.body) {
      issued++;
      const body = ctx.body as { id_token: string };
      if (mode) body.id_token = rewrite(body.id_token, mode);
    }
  });
  server.on('request', provider.callback());

  function rewrite(idToken: string, how: Misbehaviour): string {
    const [headerPart, payloadPart] = idToken.split('.') as [string, string];
    const header = JSON.parse(Buffer.from(headerPart, 'base64url').toString()) as Record<string, unknown>;
    const claims = JSON.parse(Buffer.from(payloadPart, 'base64url').toString()) as Record<string, unknown>;
    const now = Math.floor(Date.now() / 1000);
    let key: KeyObject = createPrivateKey({ key: signingJwk as never, format: 'jwk' });
    if (how === 'expired') Object.assign(claims, { iat: now - 7200, exp: now - 3600, auth_time: now - 7200 });
    if (how === 'wrong-issuer') claims.iss = 'https://broker.invalid';
    if (how === 'wrong-audience') claims.aud = 'someone-else';
    if (how === 'wrong-nonce') claims.nonce = randomBytes(16).toString('base64url');
    if (how === 'foreign-key') {
      key = foreignKey;
      header.kid = `not-in-jwks-${randomBytes(4).toString('hex')}`;
    }
    const input = `${b64(header)}.${b64(claims)}`;
    return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
  }

  return {
    issuer,
    clientId,
    clientSecret,
    subOf: (person) => subs.get(person.login)!,
    misbehave(m) {
      mode = m;
    },
    tokensIssued: () => issued,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let raw = '';
    req.on('data', (c: Buffer) => {
      raw += c.toString();
      if (raw.length > 10_000) req.destroy();
    });
    req.on('end', () => resolve(raw));
    req.on('error', reject);
  });
}

// ---------- a browser's part, over HTTP (for server tests without Chromium) ----------

/** Cookies per origin, as a browser keeps them for one person (a fresh jar: nobody logged in yet). */
export class CookieJar {
  private readonly cookies = new Map<string, Map<string, string>>();

  header(url: string): string {
    return [...(this.cookies.get(new URL(url).origin) ?? new Map()).entries()].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  store(url: string, res: Response): void {
    const origin = new URL(url).origin;
    const jar = this.cookies.get(origin) ?? new Map<string, string>();
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (!value || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
    this.cookies.set(origin, jar);
  }

  /** Sets a cookie for an origin by hand (the ones our own server set through other helpers). */
  set(origin: string, pair: string): void {
    const jar = this.cookies.get(origin) ?? new Map<string, string>();
    const eq = pair.indexOf('=');
    jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    this.cookies.set(origin, jar);
  }

  /** GET without following redirects, sending and keeping cookies. */
  async get(url: string): Promise<Response> {
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: this.header(url) } });
    this.store(url, res);
    return res;
  }

  async postForm(url: string, form: Record<string, string>): Promise<Response> {
    const res = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: this.header(url), 'content-type': 'application/x-www-form-urlencoded', origin: new URL(url).origin },
      body: new URLSearchParams(form).toString(),
    });
    this.store(url, res);
    return res;
  }
}

/**
 * A person at the broker: opens the authorization URL, logs in on the development login page as `person`
 * (or cancels there), and is sent back. Answers the URL the broker sends them back to (our callback, with
 * the code or the error), not yet opened.
 */
export async function passBroker(jar: CookieJar, authorizationUrl: string, person: TestPerson | 'cancel'): Promise<string> {
  let url = authorizationUrl;
  for (let hops = 0; hops < 10; hops++) {
    const res = await jar.get(url);
    if (res.status >= 300 && res.status < 400) {
      const next = new URL(res.headers.get('location')!, url).toString();
      await res.body?.cancel();
      if (new URL(next).origin !== new URL(authorizationUrl).origin) return next;
      url = next;
      continue;
    }
    const html = await res.text();
    if (res.status !== 200 || !/name="login"/.test(html)) throw new Error(`broker page ${url}: ${res.status} ${html.slice(0, 300)}`);
    if (person === 'cancel') {
      url = `${url.replace(/\/$/, '')}/abort`;
      continue;
    }
    const action = /<form[^>]*action="([^"]+)"/.exec(html)![1]!;
    const submitted = await jar.postForm(new URL(action, url).toString(), { prompt: 'login', login: person.login, password: 'any password' });
    if (submitted.status !== 303) throw new Error(`broker login: ${submitted.status} ${await submitted.text()}`);
    url = new URL(submitted.headers.get('location')!, url).toString();
    await submitted.body?.cancel();
  }
  throw new Error('too many redirects at the broker');
}
