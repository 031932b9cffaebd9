import type { PaymentAuthorization, VisitResponse } from '../../protocol/index.ts';
import type { StripeStandIn } from './stripe-stand-in.ts';
import { ask, joinWaitingRoom, memberApi, postJson, visitorSocket, type TestServer } from './test-server.ts';

/** A visitor checks in to a room with a price: they are `checking_in`, with the payment still to make. */
export async function visitorCheckingIn(server: TestServer, roomSlug: string, name = 'Ola Nordmann'): Promise<VisitResponse> {
  const visit = await joinWaitingRoom(server, roomSlug, name);
  if (!visit.steps?.includes('payment')) throw new Error(`no payment step: ${JSON.stringify(visit.steps)}`);
  return visit;
}

/** The visitor's browser asks to enter the waiting line (visit:enter); their socket stays open, as a waiting visitor's does. */
export async function entersWaitingLine(server: TestServer, visitorToken: string) {
  const socket = await visitorSocket(server, visitorToken);
  const entered = await ask(socket, 'visit:enter', {});
  return { socket, entered };
}

/** POST /api/payments/visitor as the visitor's browser does. */
export async function startPayment(server: TestServer, visitorToken: string): Promise<{ status: number; body: PaymentAuthorization & { error?: { code: string } } }> {
  const res = await postJson(server, '/api/payments/visitor', {}, { authorization: `Bearer ${visitorToken}` });
  return { status: res.status, body: (await res.json()) as PaymentAuthorization & { error?: { code: string } } };
}

export const intentIdOf = (clientSecret: string) => clientSecret.split('_secret_')[0]!;

/**
 * Confirms the payment as Stripe.js does from the visitor's page: with the publishable key and the client
 * secret (never our server), with one of Stripe's test payment methods.
 */
export async function confirmAsBrowser(stripe: StripeStandIn, auth: PaymentAuthorization, paymentMethod: string): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(`${stripe.url}/v1/payment_intents/${intentIdOf(auth.clientSecret)}/confirm`, {
    method: 'POST',
    headers: { authorization: `Bearer ${auth.publishableKey}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ payment_method: paymentMethod, client_secret: auth.clientSecret }).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** An admin's logged-in session (made by the server's own session store, so no authenticator codes). */
/** A member's logged-in API calls (see memberApi in test-server.ts). */
export const adminSession = memberApi;
