import * as oidc from 'openid-client';
import { bankIdClaims } from '../../protocol/index.ts';
import type { BankIdSettings } from './bankid-settings-store.ts';

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
 */
export class BrokerClients {
  private readonly discovered = new Map<string, { fingerprint: string; config: Promise<oidc.Configuration> }>();

  constructor(
    private readonly redirectUri: string,
    private readonly allowInsecureIssuer: boolean,
  ) {}

  /** The broker's configuration (discovered at most once per setup; a failed discovery is tried again next time). */
  configFor(orgId: string, settings: BankIdSettings): Promise<oidc.Configuration> {
    const cached = this.discovered.get(orgId);
    if (cached?.fingerprint === settings.fingerprint) return cached.config;
    const execute = [oidc.enableNonRepudiationChecks, ...(this.allowInsecureIssuer ? [oidc.allowInsecureRequests] : [])];
    const config = oidc
      .discovery(new URL(settings.issuer), settings.clientId, settings.clientSecret, oidc.ClientSecretBasic(settings.clientSecret), { execute, timeout: 10 })
      .catch((error: unknown) => {
        if (this.discovered.get(orgId)?.config === config) this.discovered.delete(orgId);
        throw error;
      });
    this.discovered.set(orgId, { fingerprint: settings.fingerprint, config });
    return config;
  }

  /** Whether the issuer answers with a discovery document of its own (to refuse a wrong setting at once). */
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
