import * as oidc from 'openid-client';
import { bankIdClaims } from '../../protocol/index.ts';
import type { BankIdSettings } from './bankid-settings-store.ts';
import { guardedFetch } from '../http/guarded-fetch.ts';
import type { AddressGuard } from '../webhooks/address-guard.ts';

/** The verified claims we use from a broker's id token. */
export type VerifiedClaims = ReturnType<typeof bankIdClaims.parse>;

/** Why a login at the broker was not accepted (for the log: a category, never a claim's value). */
export class BrokerRefusal extends Error {
  constructor(readonly reason: 'discovery' | 'token' | 'claims' | 'acr') {
    super(`bankid refused: ${reason}`);
  }
}

/**
 * The organizations' brokers, through `openid-client`: discovery once per broker setup (cached in this
 * process), the authorization request with PKCE, state, nonce and the required acr, and the code exchange,
 * where openid-client checks state, issuer, audience, expiry, nonce and (non-repudiation checks on) the id
 * token's signature against the broker's JWKS. The acr is ours to check.
 *
 * The broker's addresses are typed by an organization's admin (the issuer) or named by whatever answers
 * there (token, JWKS, userinfo endpoints), so every request openid-client makes for an organization goes
 * through the address guard the webhooks use: no private, loopback, link-local or metadata address unless
 * BANKID_ALLOWED_ADDRESS_RANGES lists it, and the connection goes to the very address checked.
 */
export class BrokerClients {
  private readonly discovered = new Map<string, { fingerprint: string; config: Promise<oidc.Configuration> }>();

  private readonly fetch: ReturnType<typeof guardedFetch>;

  constructor(
    private readonly redirectUri: string,
    private readonly allowInsecureIssuer: boolean,
    guard: AddressGuard,
  ) {
    this.fetch = guardedFetch(guard);
  }

  /** The broker's configuration (discovered at most once per setup; a failed discovery is tried again next time). */
  configFor(orgId: string, settings: BankIdSettings): Promise<oidc.Configuration> {
    const cached = this.discovered.get(orgId);
    if (cached?.fingerprint === settings.fingerprint) return cached.config;
    const execute = [oidc.enableNonRepudiationChecks, ...(this.allowInsecureIssuer ? [oidc.allowInsecureRequests] : [])];
    const config = oidc
      .discovery(new URL(settings.issuer), settings.clientId, settings.clientSecret, oidc.ClientSecretBasic(settings.clientSecret), {
        execute,
        timeout: 10,
        // Set on the configuration too: the JWKS, token and userinfo requests go through it as well.
        [oidc.customFetch]: this.fetch,
      })
      .catch((error: unknown) => {
        if (this.discovered.get(orgId)?.config === config) this.discovered.delete(orgId);
        throw error;
      });
    this.discovered.set(orgId, { fingerprint: settings.fingerprint, config });
    return config;
  }

  /**
   * Whether the issuer answers with a discovery document of its own (to refuse a wrong setting at once).
   * Only yes or no, the same for an address refused, unreachable or answering something else: the answer
   * tells an admin nothing about what lies behind an address they may not use.
   */
  async check(orgId: string, settings: BankIdSettings): Promise<boolean> {
    return this.configFor(orgId, settings).then(
      () => true,
      () => false,
    );
  }

  async authorizationUrl(
    orgId: string,
    settings: BankIdSettings,
    flow: { state: string; nonce: string; pkceVerifier: string; scope: string },
  ): Promise<string> {
    const config = await this.configFor(orgId, settings).catch(() => {
      throw new BrokerRefusal('discovery');
    });
    return oidc
      .buildAuthorizationUrl(config, {
        redirect_uri: this.redirectUri,
        response_type: 'code',
        scope: flow.scope,
        state: flow.state,
        nonce: flow.nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(flow.pkceVerifier),
        code_challenge_method: 'S256',
        acr_values: settings.acrValues.join(' '),
      })
      .toString();
  }

  /** The code exchange and every check on the id token; the claims, or BrokerRefusal. */
  async finish(orgId: string, settings: BankIdSettings, callbackUrl: URL, flow: { state: string; nonce: string; pkceVerifier: string }): Promise<VerifiedClaims> {
    const config = await this.configFor(orgId, settings).catch(() => {
      throw new BrokerRefusal('discovery');
    });
    let claims: unknown;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: flow.pkceVerifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims();
    } catch {
      throw new BrokerRefusal('token');
    }
    const parsed = bankIdClaims.safeParse(claims);
    if (!parsed.success) throw new BrokerRefusal('claims');
    // The broker may authenticate at a lower level than asked (or ignore acr_values): accept only what we require.
    if (!parsed.data.acr || !settings.acrValues.includes(parsed.data.acr)) throw new BrokerRefusal('acr');
    return parsed.data;
  }
}

export const newFlowSecrets = () => ({ nonce: oidc.randomNonce(), pkceVerifier: oidc.randomPKCECodeVerifier() });
