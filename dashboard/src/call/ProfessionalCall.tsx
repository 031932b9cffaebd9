import { useEffect, useState } from 'preact/hooks';
import type { CallEngine } from '../../../client/src/call-engine/call-engine.ts';
import type { LocalMedia } from '../../../client/src/call-engine/local-media.ts';
import { CallView } from '../../../client/src/call/CallView.tsx';
import { t } from '../strings.ts';
import { MAX_CALL_PARTICIPANTS, peerIdOf, visitorIdOfPeer, type Colleague, type PeerInfo } from '../../../signaling/protocol/index.ts';
import { request, RequestError } from '../../../client/src/call-engine/request.ts';
import { mark } from '../../../client/src/call-engine/marks.ts';
import type { ProfessionalSocket } from '../pro-socket.ts';
import type { WaitingRoomState } from '../queue/use-waiting-room.ts';
import { VerifiedIdentity } from '../queue/VerifiedIdentity.tsx';

/**
 * The professional's side of a call: the call screen, and what a professional can do from it. The host
 * (who admitted the first visitor) ends the call for everyone; a colleague asked in leaves it.
 */
export function ProfessionalCall({
  engine,
  media,
  socket,
  host,
  waiting,
  onClose,
}: {
  engine: CallEngine;
  media: LocalMedia;
  socket: ProfessionalSocket;
  host: boolean;
  waiting: WaitingRoomState;
  onClose: () => void;
}) {
  const [ended, setEnded] = useState(false);
  const [peers, setPeers] = useState<PeerInfo[]>([]);
  const [notice, setNotice] = useState<string | null>(null);
  const [colleague, setColleague] = useState('');
  /** Colleagues asked in from here who have not joined: the ask can be taken back until they answer. */
  const [asked, setAsked] = useState<Colleague[]>([]);
  useEffect(() => mark('call-screen'), []);
  useEffect(
    () =>
      engine.subscribe((s) => {
        setEnded(s.status === 'ended');
        setPeers(s.remotes.map((r) => r.peer));
      }),
    [engine],
  );
  useEffect(() => {
    if (ended) media.stop();
  }, [ended, media]);
  useEffect(() => {
    const joined = new Set(peers.map((p) => p.id));
    setAsked((list) => list.filter((c) => !joined.has(peerIdOf('professional', c.professionalId))));
  }, [peers]);
  const withdraw = async (c: Colleague) => {
    try {
      await request(socket, 'call:withdraw-invitation', { callId: engine.callId, professionalId: c.professionalId });
      setNotice(t('call.invitationWithdrawn', { name: c.name }));
    } catch (err) {
      if (!(err instanceof RequestError && err.code === 'not_found')) return setNotice(t('call.actionFailed'));
      setNotice(t('call.invitationAnswered', { name: c.name }));
    }
    setAsked((list) => list.filter((x) => x.professionalId !== c.professionalId));
  };
  /** Says what went wrong in the professional's words; a full call is the one refusal to expect. */
  const act = async (action: () => Promise<unknown>, done: string) => {
    try {
      await action();
      setNotice(done);
    } catch (err) {
      setNotice(err instanceof RequestError && err.code === 'call_full' ? t('call.full', { max: MAX_CALL_PARTICIPANTS }) : t('call.actionFailed'));
    }
  };
  if (ended) {
    return (
      <section>
        <h1>{t('call.ended')}</h1>
        <button type="button" onClick={onClose}>
          {t('call.back')}
        </button>
      </section>
    );
  }
  const visitors = peers.filter((p) => p.role === 'visitor');
  const inCall = new Set(peers.map((p) => p.id));
  const askable = waiting.colleagues.filter((c) => !inCall.has(peerIdOf('professional', c.professionalId)));
  const admittable = waiting.visitors.filter((v) => !v.takenBy && !v.dropped);
  // The professional's own actions sit in the call screen, so a phone's full-screen call keeps them.
  return (
    <CallView engine={engine} media={media} t={t} hangUpLabel={host ? t('call.endForAll') : t('call.leave')}>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <div class="call-actions">
        {visitors.map((v) => (
          <button
            key={v.id}
            type="button"
            class="secondary"
            onClick={() => void act(() => request(socket, 'call:send-back', { callId: engine.callId, visitorId: visitorIdOfPeer(v.id)! }), t('call.sentBack', { name: v.name }))}
          >
            {t('call.sendBack', { name: v.name })}
          </button>
        ))}
        {admittable.map((v) => (
          <button
            key={v.visitorId}
            type="button"
            class="secondary"
            onClick={() => void act(() => request(socket, 'queue:admit', { visitorId: v.visitorId, callId: engine.callId }), t('call.added', { name: v.name }))}
          >
            {t('call.addVisitor', { name: v.name })}
          </button>
        ))}
        {askable.length > 0 && (
          <form
            class="inline"
            onSubmit={(e) => {
              e.preventDefault();
              const c = askable.find((x) => x.professionalId === colleague);
              if (!c) return;
              const invite = async () => {
                await request(socket, 'call:invite', { callId: engine.callId, professionalId: c.professionalId });
                setAsked((list) => [...list.filter((x) => x.professionalId !== c.professionalId), c]);
              };
              void act(invite, t('call.invited', { name: c.name }));
            }}
          >
            <label>
              {t('call.colleague')}
              <select value={colleague} onChange={(e) => setColleague((e.target as HTMLSelectElement).value)}>
                <option value="">{t('call.chooseColleague')}</option>
                {askable.map((c) => (
                  <option key={c.professionalId} value={c.professionalId}>
                    {c.name}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit" class="secondary" disabled={!colleague}>
              {t('call.invite')}
            </button>
          </form>
        )}
        {asked.map((c) => (
          <button key={c.professionalId} type="button" class="secondary" onClick={() => void withdraw(c)}>
            {t('call.withdrawInvitation', { name: c.name })}
          </button>
        ))}
      </div>
      {visitors.map((v) => {
        const visitorId = visitorIdOfPeer(v.id)!;
        const identity = waiting.identityOf(visitorId);
        return identity ? <VerifiedIdentity key={v.id} identity={identity} reveal={() => waiting.nationalIdOf(visitorId)} /> : null;
      })}
    </CallView>
  );
}
