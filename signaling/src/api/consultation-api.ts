import { z } from 'zod';
import {
  apiConsultation,
  apiConsultationCreated,
  apiConsultationId,
  apiConsultationListQuery,
  apiConsultationPage,
  apiConsultationRequest,
  apiSmsInvitationRequest,
  apiSmsInvitationSent,
  type ApiConsultation,
  type ApiConsultationCreated,
  type ApiConsultationPage,
} from '../../protocol/index.ts';
import { AppError, badField, notFound } from '../errors.ts';
import { validCursor, type ConsultationRecord } from '../consultations/consultation-store.ts';
import { cancelConsultation, scheduleConsultation } from '../consultations/schedule.ts';
import type { SmsInvitations } from './sms-invitations.ts';
import { apiRoute, type ApiRoute } from './api-router.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A consultation as the API answers it (no prefill: what the EHR gave, it has; no link: shown once). */
export function consultationView(r: ConsultationRecord): ApiConsultation {
  return {
    id: r.id,
    status: r.state,
    roomId: r.roomId,
    externalReference: r.externalReference,
    scheduledAt: iso(r.scheduledAt),
    createdAt: iso(r.createdAt)!,
    arrivedAt: iso(r.arrivedAt),
    admittedAt: iso(r.admittedAt),
    endedAt: iso(r.endedAt),
    cancelledAt: iso(r.cancelledAt),
    callSeconds: r.callMs === null ? null : Math.round(r.callMs / 1000),
    ...(r.price !== undefined ? { price: r.price } : {}),
    expiresAt: iso(r.expiresAt)!,
  };
}

const idParams = z.strictObject({ id: apiConsultationId });

/** The consultation routes of v1 (the router adds auth, the rate limit and the error format). */
export function consultationApiRoutes(sms: SmsInvitations): ApiRoute[] {
  return [
    apiRoute({
      method: 'post',
      path: '/api/v1/consultations',
      operationId: 'createConsultation',
      summary: 'Create a consultation',
      description:
        "The same consultation a professional schedules in the dashboard: a private visitor link to one room, optionally at a time, with the EHR's own reference. The link is in this answer only.",
      body: apiConsultationRequest,
      responses: [{ status: 201, description: 'Created', schema: apiConsultationCreated }],
      errors: [400, 404],
      async handler({ s, caller, body, retentionMs }) {
        const room = await s.organizations.getRoom(caller.orgId, body.roomId);
        if (!room) throw notFound('no such room');
        const scheduledAt = body.scheduledAt !== undefined ? Date.parse(body.scheduledAt) : null;
        const { consultation, visitorLink, expiresAt } = await scheduleConsultation(s, {
          orgId: caller.orgId,
          roomId: room.id,
          professionalId: room.professionalId,
          scheduledAt,
          externalReference: body.externalReference,
          ...(body.visitor ? { prefill: body.visitor } : {}),
          ...(body.price !== undefined ? { price: body.price } : {}),
          createdBy: `api-key:${caller.keyId}`,
        });
        const record = await s.consultations.get(caller.orgId, consultation.id, retentionMs);
        if (!record) throw new AppError('internal', 'the consultation went away at once');
        const created: ApiConsultationCreated = { ...consultationView(record), visitorLink, visitorLinkExpiresAt: new Date(expiresAt).toISOString() };
        return { status: 201, body: created };
      },
    }),
    apiRoute({
      method: 'get',
      path: '/api/v1/consultations',
      operationId: 'listConsultations',
      summary: 'List consultations',
      description: 'Newest first by their time (the scheduled time, else when they were created), filtered, a page at a time.',
      query: apiConsultationListQuery,
      responses: [{ status: 200, description: 'A page', schema: apiConsultationPage }],
      errors: [400],
      async handler({ s, caller, query, retentionMs }) {
        if (query.cursor !== undefined && !validCursor(query.cursor)) throw badField('cursor', 'not one of ours');
        const page = await s.consultations.list(
          caller.orgId,
          {
            status: query.status,
            from: query.from !== undefined ? Date.parse(query.from) : undefined,
            to: query.to !== undefined ? Date.parse(query.to) : undefined,
            externalReference: query.externalReference,
            cursor: query.cursor,
            limit: query.limit !== undefined ? Number(query.limit) : 50,
          },
          retentionMs,
        );
        const body: ApiConsultationPage = { consultations: page.consultations.map(consultationView), nextCursor: page.nextCursor };
        return { status: 200, body };
      },
    }),
    apiRoute({
      method: 'get',
      path: '/api/v1/consultations/:id',
      operationId: 'getConsultation',
      summary: 'Get a consultation',
      description: 'Its status and times as the waiting room and the call moved them.',
      params: idParams,
      responses: [{ status: 200, description: 'The consultation', schema: apiConsultation }],
      errors: [400, 404],
      async handler({ s, caller, params, retentionMs }) {
        const record = await s.consultations.get(caller.orgId, params.id, retentionMs);
        if (!record) throw notFound('no such consultation');
        return { status: 200, body: consultationView(record) };
      },
    }),
    apiRoute({
      method: 'delete',
      path: '/api/v1/consultations/:id',
      operationId: 'cancelConsultation',
      summary: 'Cancel a consultation',
      description:
        'Its link stops working at once. A visitor already waiting leaves the waiting room and is told the consultation was cancelled. Refused (409) while the visitor is in a call, or once it ended. Cancelling again changes nothing.',
      params: idParams,
      responses: [{ status: 200, description: 'Cancelled', schema: apiConsultation }],
      errors: [400, 404, 409],
      async handler({ s, caller, params, retentionMs }) {
        if (!(await s.consultations.get(caller.orgId, params.id, retentionMs))) throw notFound('no such consultation');
        await cancelConsultation(s, caller.orgId, params.id, { apiKeyId: caller.keyId });
        const record = await s.consultations.get(caller.orgId, params.id, retentionMs);
        if (!record) throw notFound('no such consultation');
        return { status: 200, body: consultationView(record) };
      },
    }),
    apiRoute({
      method: 'post',
      path: '/api/v1/consultations/:id/sms-invitation',
      operationId: 'sendSmsInvitation',
      summary: 'Send the visitor link by SMS',
      description:
        "To the number given, or else the visitor's prefilled one, in the visitor's language if given (else English and Norwegian), with the appointment's time at the organization's clock (its time zone setting). Limited per API key and per organization per day, and to the countries this service sends to (Nordic by default).",
      params: idParams,
      body: apiSmsInvitationRequest,
      responses: [{ status: 202, description: 'Handed to the SMS provider', schema: apiSmsInvitationSent }],
      errors: [400, 404, 409, 503],
      async handler({ s, caller, params, body, retentionMs }) {
        const record = await s.consultations.get(caller.orgId, params.id, retentionMs);
        if (!record) throw notFound('no such consultation');
        return { status: 202, body: await sms.send(caller, record, body.phone, body.language) };
      },
    }),
  ];
}
