import type { Redis } from 'ioredis';
import { declaredScripts, loadScripts, type ScriptSource } from './redis/lua-script.ts';
import { WAITING_ROOM_SCRIPTS } from './waiting-room/waiting-room-scripts.ts';
import { CALL_SCRIPTS } from './calls/call-scripts.ts';
import { RETAINED_SCRIPTS } from './retention/retained-scripts.ts';
import { countAttempt } from './http/rate-limiter.ts';
import { storeVerifiedIdentity } from './bankid/visitor-identity.ts';
import { takeInvitation } from './admin/invitation-store.ts';
import { takeTotpStep } from './auth/second-factor.ts';
import { noteConsultationProgress } from './events/events-scripts.ts';
import { resealFields } from './crypto/key-rotation.ts';
import { PAYMENT_SCRIPTS } from './payments/payment-scripts.ts';
import { WEBHOOK_SCRIPTS } from './webhooks/webhook-scripts.ts';
import { AUDIT_SCRIPTS } from './audit/audit-scripts.ts';
import { EMAIL_SCRIPTS } from './email/email-scripts.ts';
import { CONSULTATION_SCRIPTS } from './consultations/consultation-scripts.ts';
import { foldCommaList } from './lifecycle/comma-lists-to-sets.ts';

/*
 * Every feature's Lua scripts, named here so the server loads them all before it listens (lua-scripts.test.ts
 * checks that no file declaring a script is missing from this list).
 */
export const EVERY_SCRIPT: readonly ScriptSource[] = [
  ...WAITING_ROOM_SCRIPTS,
  ...CALL_SCRIPTS,
  ...CONSULTATION_SCRIPTS,
  ...PAYMENT_SCRIPTS,
  ...WEBHOOK_SCRIPTS,
  ...AUDIT_SCRIPTS,
  ...EMAIL_SCRIPTS,
  ...RETAINED_SCRIPTS,
  noteConsultationProgress,
  countAttempt,
  storeVerifiedIdentity,
  takeInvitation,
  takeTotpStep,
  resealFields,
  foldCommaList,
];

/**
 * Loads every script into Redis: one that does not compile stops the start with its name. (Loads what was
 * declared in this process, which is at least EVERY_SCRIPT.)
 */
export function loadEveryScript(redis: Redis): Promise<void> {
  return loadScripts(redis, declaredScripts());
}
