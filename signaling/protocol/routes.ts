import { z } from 'zod';
import { roomSlug } from './common.ts';
import {
  acceptInvitationRequest,
  changePasswordRequest,
  consultationLinkRequest,
  invitationLookupRequest,
  invitationRequest,
  loginRequest,
  organizationSettingsUpdate,
  roomRequest,
  roomUpdate,
  type PasswordReset,
  secondFactorRequest,
  visitRequest,
  type AdminRoom,
  type EmailStatus,
  type HistoryResponse,
  type InvitationCreated,
  type InvitationInfo,
  type Me,
  type OrganizationOverview,
  type RoomInfo,
  type SecondFactorEnabled,
  type SecondFactorSetupInfo,
  type SmsSettingsInfo,
  type VisitResponse,
  alertLinkRequest,
  smsCodeRequest,
  smsPhoneRequest,
} from './http.ts';
import {
  consultationIdParams,
  consultationRequest,
  visitorCancelRequest,
  type ConsultationCreated,
  type UpcomingConsultations,
  type VisitorCancelled,
} from './consultations.ts';
import type { PaymentAuthorization, PaymentReceipt } from './payments.ts';
import {
  bankIdLoginOptionsQuery,
  bankIdLoginStart,
  bankIdVisitorStart,
  type BankIdLoginOptions,
  type BankIdStarted,
  type MemberBankIdInfo,
  bankIdSettingsUpdate,
  type BankIdSettingsInfo,
  type MemberBankIdList,
} from './bankid.ts';
import { auditEntryId, auditListQuery, auditSettingsUpdate, type AuditAddress, type AuditListResponse, type AuditSettings } from './audit.ts';
import { refundRequest, roomPriceRequest, type AdminPayment, type AdminPayments, type RoomPrice } from './payments.ts';
import { visitorCorrection, visitorSearch, type VisitorSearchResult } from './data-rights.ts';
import { embedParentQuery, embedSettingsUpdate, type EmbedParent, type EmbedSettings } from './embedding.ts';
import { apiKeyRequest, type ApiKeyCreated, type ApiKeyList } from './api.ts';
import {
  webhookDeliveryQuery,
  webhookEndpointCreate,
  webhookEndpointUpdate,
  webhookSecretRotation,
  type WebhookDeliveryDetail,
  type WebhookDeliveryList,
  type WebhookEndpointList,
  type WebhookEndpointView,
  type WebhookSecretIssued,
} from './webhooks.ts';
import { accessCodeRequest, checkInConfig, type AccessCodeCreated, type CheckInConfig } from './check-in.ts';
import { id } from './common.ts';

/*
 * HTTP routes, declared once like the socket events in socket.ts: method, path, who may call, the schemas
 * of what comes in and the type of what goes out. The server registers its routes through this table
 * (each input parsed once, at the boundary) and the front-ends call them through one typed fetch built
 * from it, so a path, a body or an answer cannot drift apart between them.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call a route: anyone (`public`: a room link is like a phone number), a visitor by the token of
 * their visit (`Authorization: Bearer`), a logged-in `member` or `admin` by their session cookie and CSRF
 * token, or an EHR system by an `apiKey`.
 */
export type RouteCaller = 'public' | 'visitor' | 'member' | 'admin' | 'apiKey';

export interface Route<
  M extends HttpMethod = HttpMethod,
  P extends string = string,
  Params extends z.ZodType | undefined = z.ZodType | undefined,
  Body extends z.ZodType | undefined = z.ZodType | undefined,
  Query extends z.ZodType | undefined = z.ZodType | undefined,
  Res = unknown,
  Invalid extends 'bad_request' | 'unknown' = 'bad_request' | 'unknown',
  C extends RouteCaller = RouteCaller,
> {
  method: M;
  path: P;
  caller: C;
  /** The path's `:name` parts, each checked. */
  params?: Params;
  body?: Body;
  query?: Query;
  /** The status of a success, 200 unless said; 202 and 204 answer no body (202: the work goes on after the answer). */
  status?: 200 | 201 | 202 | 204;
  /**
   * Input that does not parse is refused like an unknown link (`unknown`: the route answers not_found,
   * and counts it as a probe) rather than with bad_request, so malformed and made-up secrets look alike.
   */
  invalid?: Invalid;
  /** Never read: it carries the type of the success's JSON body. */
  response: Res;
}

/** Declares a route, keeping its literal method and path and its schemas' types. */
export const route = <
  const M extends HttpMethod,
  const P extends string,
  Res,
  Params extends z.ZodType | undefined = undefined,
  Body extends z.ZodType | undefined = undefined,
  Query extends z.ZodType | undefined = undefined,
  const Invalid extends 'bad_request' | 'unknown' = 'bad_request',
  const C extends RouteCaller = RouteCaller,
>(
  r: Route<M, P, Params, Body, Query, Res, Invalid, C>,
) => r;

/** The type a schema gives the server (`output`) or asks of a client (`input`); nothing where there is none. */
type Out<S> = [NonNullable<S>] extends [never] ? undefined : NonNullable<S> extends z.ZodType ? z.output<NonNullable<S>> : undefined;
type In<S> = NonNullable<S> extends z.ZodType ? z.input<NonNullable<S>> : undefined;
/** Whether a route declares this input (a schema, not undefined). */
type Has<S> = [NonNullable<S>] extends [never] ? false : true;

export type AnyRoute = Route<HttpMethod, string, z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined, unknown, 'bad_request' | 'unknown'>;
export type ResponseOf<R extends AnyRoute> = R['response'];

/** What a handler gets, parsed: `null` for an input that did not parse on a route that treats it as unknown. */
type Parsed<R extends AnyRoute, S> = NonNullable<R['invalid']> extends 'unknown' ? Out<S> | null : Out<S>;
export interface ServerInput<R extends AnyRoute> {
  params: Parsed<R, R['params']>;
  body: Parsed<R, R['body']>;
  query: Parsed<R, R['query']>;
}

/** What a caller gives: the path's params, the body and the query the route declares. */
export type ClientInput<R extends AnyRoute> = (Has<R['params']> extends true ? { params: In<R['params']> } : {}) &
  (Has<R['body']> extends true ? { body: In<R['body']> } : {}) &
  (Has<R['query']> extends true ? { query: In<R['query']> } : {});

/** The path with its `:name` parts filled in (each encoded). */
export function pathOf(path: string, params: Record<string, string> | undefined): string {
  return path.replace(/:([A-Za-z]+)/g, (_, name: string) => encodeURIComponent(params?.[name] ?? ''));
}

/** A path's `:id` (a member, room, endpoint, delivery... of the caller's organization). */
const idParams = z.strictObject({ id });

// ---------- the visitor's routes ----------

export const visitorRoutes = {
  /** What a room's link shows before check-in. Unknown and malformed links look alike (and count as probes). */
  room: route({
    method: 'GET',
    path: '/api/rooms/:slug',
    caller: 'public',
    params: z.strictObject({ slug: roomSlug }),
    invalid: 'unknown',
    response: {} as RoomInfo,
  }),
  /** What a consultation's link shows (its secret travels in the body, never in the address). */
  consultationLink: route({
    method: 'POST',
    path: '/api/consultations/link',
    caller: 'public',
    body: consultationLinkRequest,
    invalid: 'unknown',
    response: {} as RoomInfo,
  }),
  /** The visitor cancels their appointment from its link. */
  cancelFromLink: route({
    method: 'POST',
    path: '/api/consultations/link/cancel',
    caller: 'public',
    body: visitorCancelRequest,
    invalid: 'unknown',
    response: {} as VisitorCancelled,
  }),
  /** Check-in: the room's form answered; the visitor gets the token of their visit. */
  checkIn: route({ method: 'POST', path: '/api/visits', caller: 'public', body: visitRequest, status: 201, response: {} as VisitResponse }),
  /** The card payment a room asks for, authorized while checking in. */
  payment: route({ method: 'POST', path: '/api/payments/visitor', caller: 'visitor', response: {} as PaymentAuthorization }),
  /** The visitor's receipt after the call. */
  receipt: route({ method: 'GET', path: '/api/payments/receipt', caller: 'visitor', response: {} as PaymentReceipt }),
  /** Off to the BankID broker, and back to `returnTo` (the visit's own link). */
  bankIdStart: route({ method: 'POST', path: '/api/bankid/visitor/start', caller: 'visitor', body: bankIdVisitorStart, response: {} as BankIdStarted }),
  /** Whether an embedded page may post its events to its parent's origin. */
  embedParent: route({
    method: 'GET',
    path: '/api/embedding/parent',
    caller: 'public',
    query: embedParentQuery,
    invalid: 'unknown',
    response: {} as EmbedParent,
  }),
} as const;

// ---------- the professional's routes (the dashboard) ----------

export const memberRoutes = {
  /** The password; the second factor (or setting it up) comes next. */
  login: route({ method: 'POST', path: '/api/auth/login', caller: 'public', body: loginRequest, response: {} as Me }),
  /** Who is logged in, and the login step still to take. */
  me: route({ method: 'GET', path: '/api/auth/me', caller: 'member', response: {} as Me }),
  /** The member's own new password. */
  changePassword: route({ method: 'POST', path: '/api/auth/password', caller: 'member', body: changePasswordRequest, response: {} as Me }),
  logout: route({ method: 'POST', path: '/api/auth/logout', caller: 'member', status: 204, response: undefined as void }),
  /** A code from the authenticator app, or a recovery code. */
  secondFactor: route({ method: 'POST', path: '/api/auth/second-factor', caller: 'member', body: secondFactorRequest, response: {} as Me }),
  /** The secret to add to an app, at the first login. */
  secondFactorSetup: route({ method: 'GET', path: '/api/auth/second-factor/setup', caller: 'member', response: {} as SecondFactorSetupInfo }),
  /** The app's first code turns two-step login on. */
  enableSecondFactor: route({
    method: 'POST',
    path: '/api/auth/second-factor/setup',
    caller: 'member',
    body: secondFactorRequest,
    response: {} as SecondFactorEnabled,
  }),
  /** The member's own calls, while retention keeps them. */
  history: route({ method: 'GET', path: '/api/history', caller: 'member', response: {} as HistoryResponse }),
  /** A consultation scheduled in a room the member may act on, with the visitor's private link. */
  schedule: route({ method: 'POST', path: '/api/consultations', caller: 'member', body: consultationRequest, status: 201, response: {} as ConsultationCreated }),
  upcoming: route({ method: 'GET', path: '/api/consultations/upcoming', caller: 'member', response: {} as UpcomingConsultations }),
  cancelConsultation: route({
    method: 'POST',
    path: '/api/consultations/:id/cancel',
    caller: 'member',
    params: consultationIdParams,
    status: 204,
    response: undefined as void,
  }),
  /** Whom an invitation is for, shown before they choose a password. An unknown or malformed one is not found. */
  invitationLookup: route({
    method: 'POST',
    path: '/api/invitations/lookup',
    caller: 'public',
    body: invitationLookupRequest,
    invalid: 'unknown',
    response: {} as InvitationInfo,
  }),
  /** The invited person becomes a member, logged in. */
  acceptInvitation: route({ method: 'POST', path: '/api/invitations/accept', caller: 'public', body: acceptInvitationRequest, status: 201, response: {} as Me }),
  /** The member's own SMS alerts: the number, its check by a code, turning them off. */
  smsSettings: route({ method: 'GET', path: '/api/settings/sms', caller: 'member', response: {} as SmsSettingsInfo }),
  smsPhone: route({ method: 'POST', path: '/api/settings/sms/phone', caller: 'member', body: smsPhoneRequest, status: 204, response: undefined as void }),
  smsVerify: route({ method: 'POST', path: '/api/settings/sms/verify', caller: 'member', body: smsCodeRequest, response: {} as SmsSettingsInfo }),
  smsOff: route({ method: 'DELETE', path: '/api/settings/sms', caller: 'member', status: 204, response: undefined as void }),
  /** The visitor an arrival SMS's link points to, while it is valid and they are in one of the member's rooms. */
  openAlertLink: route({
    method: 'POST',
    path: '/api/alert-links/open',
    caller: 'member',
    body: alertLinkRequest,
    response: {} as { visitorId: string; waiting: boolean },
  }),
  /** Whether an organization offers BankID login: the same answer for an unknown organization (or a malformed id). */
  bankIdLoginOptions: route({
    method: 'GET',
    path: '/api/bankid/login-options',
    caller: 'public',
    query: bankIdLoginOptionsQuery,
    invalid: 'unknown',
    response: {} as BankIdLoginOptions,
  }),
  bankIdLoginStart: route({ method: 'POST', path: '/api/bankid/login/start', caller: 'public', body: bankIdLoginStart, response: {} as BankIdStarted }),
  /** The member's own BankID, and binding it. */
  bankIdLink: route({ method: 'GET', path: '/api/bankid/link', caller: 'member', response: {} as MemberBankIdInfo }),
  bankIdLinkStart: route({ method: 'POST', path: '/api/bankid/link/start', caller: 'member', response: {} as BankIdStarted }),
  /** A single-use access code for one visitor of a pseudonymous room. */
  accessCode: route({ method: 'POST', path: '/api/access-codes', caller: 'member', body: accessCodeRequest, status: 201, response: {} as AccessCodeCreated }),
} as const;

// ---------- an organization's admin (the dashboard's Organization page) ----------

export const organizationAdminRoutes = {
  overview: route({ method: 'GET', path: '/api/admin/organization', caller: 'admin', response: {} as OrganizationOverview }),
  updateSettings: route({
    method: 'PATCH',
    path: '/api/admin/organization',
    caller: 'admin',
    body: organizationSettingsUpdate,
    response: {} as Record<string, never>,
  }),
  /** An invitation for a new member: a link (e-mailed where the server can) and a code to pass on another way. */
  invite: route({ method: 'POST', path: '/api/admin/invitations', caller: 'admin', body: invitationRequest, status: 201, response: {} as InvitationCreated }),
  createRoom: route({ method: 'POST', path: '/api/admin/rooms', caller: 'admin', body: roomRequest, status: 201, response: {} as AdminRoom }),
  apiKeys: route({ method: 'GET', path: '/api/admin/api-keys', caller: 'admin', response: {} as ApiKeyList }),
  webhooks: route({ method: 'GET', path: '/api/admin/webhooks', caller: 'admin', response: {} as WebhookEndpointList }),
  /** A new webhook endpoint: its signing secret is in this answer only. */
  createWebhook: route({
    method: 'POST',
    path: '/api/admin/webhooks',
    caller: 'admin',
    body: webhookEndpointCreate,
    status: 201,
    response: {} as WebhookSecretIssued,
  }),
  updateWebhook: route({
    method: 'PATCH',
    path: '/api/admin/webhooks/:id',
    caller: 'admin',
    params: idParams,
    body: webhookEndpointUpdate,
    response: {} as WebhookEndpointView,
  }),
  deleteWebhook: route({ method: 'DELETE', path: '/api/admin/webhooks/:id', caller: 'admin', params: idParams, status: 204, response: undefined as void }),
  /** A new signing secret, in this answer only; the old one signs beside it for a while. */
  rotateWebhookSecret: route({
    method: 'POST',
    path: '/api/admin/webhooks/:id/rotate-secret',
    caller: 'admin',
    params: idParams,
    body: webhookSecretRotation,
    response: {} as WebhookSecretIssued,
  }),
  /** The old secret stops signing now. */
  endWebhookOverlap: route({
    method: 'DELETE',
    path: '/api/admin/webhooks/:id/previous-secret',
    caller: 'admin',
    params: idParams,
    status: 204,
    response: undefined as void,
  }),
  webhookDelivery: route({ method: 'GET', path: '/api/admin/webhook-deliveries/:id', caller: 'admin', params: idParams, response: {} as WebhookDeliveryDetail }),
  /** Sent again: accepted now, delivered by the outbox afterwards. */
  resendWebhookDelivery: route({
    method: 'POST',
    path: '/api/admin/webhook-deliveries/:id/resend',
    caller: 'admin',
    params: idParams,
    status: 202,
    response: undefined as void,
  }),
  webhookDeliveries: route({
    method: 'GET',
    path: '/api/admin/webhook-deliveries',
    caller: 'admin',
    query: webhookDeliveryQuery,
    response: {} as WebhookDeliveryList,
  }),
  /** The organization's BankID broker (its client secret is never sent back) and the members' BankID. */
  bankId: route({ method: 'GET', path: '/api/admin/bankid', caller: 'admin', response: {} as BankIdSettingsInfo }),
  setBankId: route({ method: 'PUT', path: '/api/admin/bankid', caller: 'admin', body: bankIdSettingsUpdate, status: 204, response: undefined as void }),
  removeBankId: route({ method: 'DELETE', path: '/api/admin/bankid', caller: 'admin', status: 204, response: undefined as void }),
  bankIdMembers: route({ method: 'GET', path: '/api/admin/bankid/members', caller: 'admin', response: {} as MemberBankIdList }),
  /** A member of the organization: removed (every session of theirs ends), or given a temporary password. */
  removeMember: route({ method: 'DELETE', path: '/api/admin/members/:id', caller: 'admin', params: idParams, status: 204, response: undefined as void }),
  resetPassword: route({ method: 'POST', path: '/api/admin/members/:id/reset-password', caller: 'admin', params: idParams, response: {} as PasswordReset }),
  /** A member's waiting BankID identity approved as theirs, or their binding removed. */
  approveBankId: route({
    method: 'POST',
    path: '/api/admin/members/:id/bankid/approve',
    caller: 'admin',
    params: idParams,
    status: 204,
    response: undefined as void,
  }),
  removeBankIdBinding: route({ method: 'DELETE', path: '/api/admin/members/:id/bankid', caller: 'admin', params: idParams, status: 204, response: undefined as void }),
  /** A room's name and (a shared room's) members; its check-in form and price, each replaced whole. */
  updateRoom: route({ method: 'PATCH', path: '/api/admin/rooms/:id', caller: 'admin', params: idParams, body: roomUpdate, response: {} as AdminRoom }),
  deleteRoom: route({ method: 'DELETE', path: '/api/admin/rooms/:id', caller: 'admin', params: idParams, status: 204, response: undefined as void }),
  setRoomCheckIn: route({
    method: 'PUT',
    path: '/api/admin/rooms/:id/check-in',
    caller: 'admin',
    params: idParams,
    body: checkInConfig,
    response: {} as CheckInConfig,
  }),
  setRoomPrice: route({
    method: 'PUT',
    path: '/api/admin/rooms/:id/price',
    caller: 'admin',
    params: idParams,
    body: roomPriceRequest,
    response: {} as { price: RoomPrice | null },
  }),
  refund: route({ method: 'POST', path: '/api/admin/payments/:id/refund', caller: 'admin', params: idParams, body: refundRequest, response: {} as AdminPayment }),
  /** A visitor's or invitee's data corrected or erased on their behalf. */
  correctVisitor: route({
    method: 'PATCH',
    path: '/api/admin/visitors/:id',
    caller: 'admin',
    params: idParams,
    body: visitorCorrection,
    response: {} as Record<string, never>,
  }),
  eraseVisitor: route({ method: 'DELETE', path: '/api/admin/visitors/:id', caller: 'admin', params: idParams, status: 204, response: undefined as void }),
  eraseInvitee: route({ method: 'DELETE', path: '/api/admin/invitees/:id', caller: 'admin', params: idParams, status: 204, response: undefined as void }),
  /** The audit log, newest first, a page at a time. */
  audit: route({ method: 'GET', path: '/api/admin/audit', caller: 'admin', query: auditListQuery, response: {} as AuditListResponse }),
  /** One entry's client address, decrypted (and audited as such). */
  auditAddress: route({
    method: 'POST',
    path: '/api/admin/audit/entries/:id/address',
    caller: 'admin',
    params: z.strictObject({ id: auditEntryId }),
    response: {} as AuditAddress,
  }),
  /** How long the audit log is kept, and its anchors. */
  auditSettings: route({ method: 'GET', path: '/api/admin/audit/settings', caller: 'admin', response: {} as AuditSettings }),
  setAuditSettings: route({
    method: 'PATCH',
    path: '/api/admin/audit/settings',
    caller: 'admin',
    body: auditSettingsUpdate,
    response: {} as { auditRetentionDays: number },
  }),
  payments: route({ method: 'GET', path: '/api/admin/payments', caller: 'admin', response: {} as AdminPayments }),
  /** Visitors and invitees by name or number (a POST: the words must not travel in an address). */
  searchVisitors: route({ method: 'POST', path: '/api/admin/visitors/search', caller: 'admin', body: visitorSearch, response: {} as VisitorSearchResult }),
  /** The EHR origins that may frame the organization's pages. */
  embedding: route({ method: 'GET', path: '/api/admin/embedding', caller: 'admin', response: {} as EmbedSettings }),
  setEmbedding: route({ method: 'PUT', path: '/api/admin/embedding', caller: 'admin', body: embedSettingsUpdate, response: {} as EmbedSettings }),
  /** Whether this server sends e-mail, and from which address. */
  email: route({ method: 'GET', path: '/api/admin/email', caller: 'admin', response: {} as EmailStatus }),
  /** A new API key: its secret is in this answer only. */
  createApiKey: route({ method: 'POST', path: '/api/admin/api-keys', caller: 'admin', body: apiKeyRequest, status: 201, response: {} as ApiKeyCreated }),
  /** A malformed key id is as unknown as a made-up one. */
  revokeApiKey: route({
    method: 'DELETE',
    path: '/api/admin/api-keys/:id',
    caller: 'admin',
    params: z.strictObject({ id }),
    invalid: 'unknown',
    status: 204,
    response: undefined as void,
  }),
} as const;
