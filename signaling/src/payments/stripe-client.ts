import Stripe from 'stripe';
import type { Config } from '../config.ts';

/** The account's keys as the server uses them; null when card payment is off (no keys in the environment). */
export interface StripeAccount {
  api: Stripe;
  publishableKey: string;
  webhookSecret: string;
}

/** The real SDK, sending its calls to Stripe or, with STRIPE_API_BASE_URL, to a proxy or a local stand-in. */
export function stripeFromConfig(config: Config): StripeAccount | null {
  if (!config.STRIPE_SECRET_KEY || !config.STRIPE_PUBLISHABLE_KEY || !config.STRIPE_WEBHOOK_SECRET) return null;
  const base = config.STRIPE_API_BASE_URL ? new URL(config.STRIPE_API_BASE_URL) : null;
  const api = new Stripe(config.STRIPE_SECRET_KEY, {
    maxNetworkRetries: 2,
    timeout: 20_000,
    // No telemetry about our requests rides along on the next one.
    telemetry: false,
    ...(base
      ? { host: base.hostname, port: Number(base.port) || (base.protocol === 'https:' ? 443 : 80), protocol: base.protocol === 'http:' ? 'http' : 'https' }
      : {}),
  });
  return { api, publishableKey: config.STRIPE_PUBLISHABLE_KEY, webhookSecret: config.STRIPE_WEBHOOK_SECRET };
}
