import type { PaymentAuthorization, VisitResponse } from '../../protocol/index.ts';
import { keys } from '../redis/keys.ts';
import { sessionCookieName } from '../http/request-guards.ts';
import type { StripeStandIn } from './stripe-stand-in.ts';
import { joinWaitingRoom, postJson, type TestServer } from './test-server.ts';

/*
 * Helpers for payment tests. Marked STAND-IN below: the lead's check-in orchestration (commit "Check-in
 * steps:" on main) makes visitors start in state `checking_in` and moves them into the waiting line once
 * their steps are done. Until that lands here, these two helpers write those states directly; afterwards
 * they should give way to the real flow (POST /api/visits on a priced room, then the enter-waiting step).
 */

/** STAND-IN for the check-in flow: a visitor checked in to a room, with their payment still to make. */
export async function visitorCheckingIn(server: TestServer, orgId: string, roomId: string, roomSlug: string, name = 'Ola Nordmann'): Promise<VisitResponse> {
  const visit = await joinWaitingRoom(server, roomSlug, name);
  await server.services.redis.multi().hset(keys.visitor(orgId, visit.visitorId), 'state', 'checking_in').zrem(keys.waiting(orgId, roomId), visit.visitorId).exec();
  return visit;
}

/** STAND-IN for the check-in flow: the visitor's steps are done; they enter the waiting line. */
export async function entersWaitingLine(server: TestServer, orgId: string, roomId: string, visitorId: string): Promise<void> {
  const arrivedAt = Number(await server.services.redis.hget(keys.visitor(orgId, visitorId), 'arrivedAt'));
  const retentionMs = Number(await server.services.redis.hget(keys.organization(orgId), 'retentionDays')) * 86_400_000;
  await server.services.redis
    .multi()
    .hset(keys.visitor(orgId, visitorId), 'state', 'waiting')
    .zadd(keys.waiting(orgId, roomId), arrivedAt, visitorId)
    .pexpire(keys.waiting(orgId, roomId), retentionMs)
    .exec();
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
export async function adminSession(server: TestServer, orgId: string, proId: string) {
  const { cookieValue, session } = await server.services.sessions.create(orgId, proId);
  const cookie = `${sessionCookieName(false)}=${cookieValue}`;
  return {
    cookie,
    async call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { origin: server.origin, cookie, 'x-csrf-token': session.csrfToken, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
  };
}
