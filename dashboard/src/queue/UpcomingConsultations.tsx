import { useCallback, useEffect, useState } from 'preact/hooks';
import { memberRoutes, type UpcomingConsultation } from '../../../signaling/protocol/index.ts';
import { fetchRoute } from '../api.ts';
import type { ProfessionalSocket } from '../pro-socket.ts';
import { dateTime, t } from '../strings.ts';

/** What became of the invitation, channel by channel. */
function invitationWords(c: UpcomingConsultation): string {
  const parts: string[] = [];
  if (c.invitation.sms) parts.push(t(c.invitation.sms === 'sent' ? 'upcoming.sms.sent' : 'upcoming.sms.failed'));
  if (c.invitation.email) parts.push(t(`upcoming.email.${c.invitation.email}`));
  return parts.length ? parts.join(' · ') : t('upcoming.noInvitation');
}

function stateWords(c: UpcomingConsultation): string {
  if (c.cancelled) {
    if (c.cancelled.by === 'visitor') return t('upcoming.cancelledByVisitor');
    if (c.cancelled.by === 'api') return t('upcoming.cancelledByApi');
    return c.cancelled.memberName ? t('upcoming.cancelledByMember', { name: c.cancelled.memberName }) : t('upcoming.cancelledByColleague');
  }
  return t(`upcoming.state.${c.state as 'scheduled' | 'waiting' | 'in_call' | 'ended'}`);
}

/**
 * The consultations booked in the professional's rooms, soonest first: when, where, how the invitation went,
 * and whether (and by whom) one was cancelled. It follows bookings and cancellations as they happen, a
 * visitor's from their link included, without a reload.
 */
export function UpcomingConsultations({ socket, refresh }: { socket: ProfessionalSocket | null; refresh: number }) {
  const [list, setList] = useState<UpcomingConsultation[] | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const load = useCallback(() => {
    fetchRoute(memberRoutes.upcoming, {})
      .then((r) => setList(r.consultations))
      .catch(() => undefined);
  }, []);

  useEffect(load, [load, refresh]);
  useEffect(() => {
    if (!socket) return;
    socket.on('consultations:changed', load);
    // After a lost connection, what changed meanwhile was not heard: list again.
    socket.on('connect', load);
    return () => {
      socket.off('consultations:changed', load);
      socket.off('connect', load);
    };
  }, [socket, load]);

  const cancel = async (id: string) => {
    setProblem(null);
    try {
      await fetchRoute(memberRoutes.cancelConsultation, { params: { id } });
    } catch {
      setProblem(t('upcoming.cancelFailed'));
    }
    setConfirming(null);
    load();
  };

  if (!list) return null;
  return (
    <section class="upcoming-consultations" aria-labelledby="upcoming-heading">
      <h2 id="upcoming-heading">{t('upcoming.heading')}</h2>
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      {list.length === 0 ? (
        <p class="muted">{t('upcoming.none')}</p>
      ) : (
        <ul class="upcoming" aria-labelledby="upcoming-heading">
          {list.map((c) => {
            const time = c.scheduledAt !== null ? dateTime(c.scheduledAt, { dateStyle: 'medium', timeStyle: 'short' }) : t('upcoming.anyTime');
            const open = !c.cancelled && c.state === 'scheduled';
            return (
              <li key={c.consultationId} class={c.cancelled ? 'cancelled' : undefined}>
                <div class="when">
                  <strong>{time}</strong> · {c.roomName}
                </div>
                <div class={c.invitation.sms === 'failed' || c.invitation.email === 'failed' ? 'invitation failed' : 'invitation muted'}>
                  {t('upcoming.invitation')}: {invitationWords(c)}
                </div>
                <div role="status" class="state">
                  {stateWords(c)}
                </div>
                {open &&
                  (confirming === c.consultationId ? (
                    <div role="group" class="confirm" aria-label={t('upcoming.confirm')}>
                      <p>{t('upcoming.confirm')}</p>
                      <button type="button" class="danger" onClick={() => void cancel(c.consultationId)}>
                        {t('upcoming.confirmYes')}
                      </button>{' '}
                      <button type="button" class="secondary" onClick={() => setConfirming(null)}>
                        {t('upcoming.keep')}
                      </button>
                    </div>
                  ) : (
                    <button type="button" class="secondary" aria-label={t('upcoming.cancelLabel', { time, room: c.roomName })} onClick={() => setConfirming(c.consultationId)}>
                      {t('upcoming.cancel')}
                    </button>
                  ))}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
