import type { CheckInStep } from '../../protocol/index.ts';
import type { Room } from '../organizations/organization-store.ts';
import type { Visitor } from '../waiting-room/waiting-room-store.ts';

/** What a room asks of its visitors after the form, in the order they do it. */
export function stepsOf(room: Room): CheckInStep[] {
  const steps: CheckInStep[] = [];
  if (room.checkIn.bankId) steps.push('bankid');
  if (room.price) steps.push('payment');
  return steps;
}

/**
 * The steps a visitor checking in has still to do. A payment counts as done only when the payment
 * provider says the card is authorized (asked by the caller), never on the browser's word.
 */
export function remainingSteps(visitor: Visitor, paymentAuthorized: boolean): CheckInStep[] {
  return visitor.steps.filter((step) => (step === 'bankid' ? !visitor.identified : !paymentAuthorized));
}
