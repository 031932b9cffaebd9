import { useEffect, useState } from 'preact/hooks';
import { organizationAdminRoutes, type AdminRoom, type MemberInfo, type OrganizationOverview } from '../../../signaling/protocol/index.ts';
import { ApiError, fetchRoute } from '../api.ts';
import { t } from '../strings.ts';
import type { ProfessionalSocket } from '../pro-socket.ts';
import { OrganizationSettingsForm } from './OrganizationSettingsForm.tsx';
import { CheckInFormEditor } from './CheckInFormEditor.tsx';
import { BankIdSettingsForm } from './BankIdSettingsForm.tsx';
import { RoomPriceEditor } from './RoomPriceEditor.tsx';
import { PaymentsAdmin } from './PaymentsAdmin.tsx';
import { WebhooksAdmin } from './WebhooksAdmin.tsx';
import { ApiKeysAdmin } from './ApiKeysAdmin.tsx';
import { EmbedOriginsForm } from '../embed/EmbedOriginsForm.tsx';

/** What an admin action failed with, in words. */
function problemOf(err: unknown): string {
  const code = err instanceof ApiError ? err.code : '';
  if (code === 'email_taken') return t('admin.emailTaken');
  if (code === 'room_not_empty') return t('admin.roomNotEmpty');
  if (code === 'bad_request') return t('admin.badInput');
  return t('admin.failed');
}

/** An admin's page: the organization's members and rooms. */
export function OrganizationAdmin({ selfId, socket }: { selfId: string; socket: ProfessionalSocket }) {
  const [overview, setOverview] = useState<OrganizationOverview | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  /** Secrets shown once (an invitation's link and code, or a temporary password), each with what it is for. */
  const [secret, setSecret] = useState<ShownOnce[] | null>(null);

  const load = () => fetchRoute(organizationAdminRoutes.overview, {}).then(setOverview, (e) => setProblem(problemOf(e)));
  useEffect(() => {
    void load();
    // Someone joined through an invitation, or another admin changed a room: show it as it is now.
    const reload = () => void load();
    socket.on('queue:rooms-changed', reload);
    return () => void socket.off('queue:rooms-changed', reload);
  }, [socket]);

  /** Runs an admin action, then shows the organization as it is now. */
  const act = async (action: () => Promise<void>) => {
    setProblem(null);
    try {
      await action();
    } catch (err) {
      setProblem(problemOf(err));
    }
    await load();
  };

  if (!overview) return <p role="status">{problem ?? t('app.loading')}</p>;
  const nameOf = (id: string) => overview.members.find((m) => m.id === id)?.name ?? id;

  return (
    <section aria-labelledby="admin-heading">
      <h1 id="admin-heading">{t('admin.heading')}</h1>
      {problem && <p class="error" role="alert">{problem}</p>}
      {secret && (
        <div class="notice" role="status">
          {secret.map((one) => (
            <ShownOnceField key={one.label} one={one} />
          ))}
          <button type="button" class="secondary" onClick={() => setSecret(null)}>
            {t('admin.done')}
          </button>
        </div>
      )}
      <Members
        members={overview.members}
        selfId={selfId}
        act={act}
        onSecret={setSecret}
      />
      <Rooms rooms={overview.rooms} members={overview.members} nameOf={nameOf} act={act} />
      <OrganizationSettingsForm settings={overview.settings} privacyPage={overview.privacyPage} act={act} />
      <BankIdSettingsForm members={overview.members} />
      <EmbedOriginsForm />
      <PaymentsAdmin />
      <WebhooksAdmin />
      <ApiKeysAdmin />
    </section>
  );
}

interface ShownOnce {
  label: string;
  value: string;
  /** A link wraps to be read whole; a code is read out over the phone, so it is large and grouped. */
  kind: 'link' | 'code' | 'password';
  copyLabel: string;
}

/** An invitation code as read out: "1234 5678" (the accept form takes it with or without the space). */
const grouped = (code: string) => code.replace(/^(\d{4})(\d{4})$/, '$1 $2');

/** One secret shown once: readable whole, selected as a whole on focus, and copied with one click. */
function ShownOnceField({ one }: { one: ShownOnce }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const selectAll = (e: Event) => (e.currentTarget as HTMLInputElement | HTMLTextAreaElement).select();
  const copy = async (e: Event) => {
    const field = (e.currentTarget as HTMLElement).parentElement?.querySelector<HTMLInputElement | HTMLTextAreaElement>('.secret');
    try {
      // Missing where the page is not a secure context, and refused when the browser says no.
      await navigator.clipboard.writeText(one.value);
      setCopied('yes');
    } catch {
      setCopied('failed');
      field?.focus();
      field?.select();
    }
  };
  return (
    <div class="shown-once">
      <p>{one.label}</p>
      {one.kind === 'link' ? (
        <textarea class="secret link" readOnly rows={6} value={one.value} aria-label={one.label} onFocus={selectAll} />
      ) : (
        <input class={one.kind === 'code' ? 'secret code' : 'secret'} readOnly value={one.value} aria-label={one.label} onFocus={selectAll} />
      )}
      <button type="button" class="secondary" onClick={copy}>
        {one.copyLabel}
      </button>{' '}
      <span role="status">{copied === 'yes' ? t('admin.copied') : copied === 'failed' ? t('admin.copyFailed') : ''}</span>
    </div>
  );
}

function Members({ members, selfId, act, onSecret }: {
  members: MemberInfo[];
  selfId: string;
  act: (action: () => Promise<void>) => Promise<void>;
  onSecret: (s: ShownOnce[]) => void;
}) {
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<'professional' | 'admin'>('professional');

  const invite = (e: Event) => {
    e.preventDefault();
    void act(async () => {
      const created = await fetchRoute(organizationAdminRoutes.invite, { body: { name, email, role } });
      onSecret([
        {
          label: created.emailed ? t('admin.invitationLinkEmailed', { name, email }) : t('admin.invitationLink', { name }),
          value: created.invitationUrl,
          kind: 'link',
          copyLabel: t('admin.copyLink'),
        },
        { label: t('admin.invitationCode', { name }), value: grouped(created.code), kind: 'code', copyLabel: t('admin.copyCode') },
      ]);
      setName('');
      setEmail('');
    });
  };

  return (
    <section aria-labelledby="members-heading">
      <h2 id="members-heading">{t('admin.members')}</h2>
      <table>
        <thead>
          <tr>
            <th>{t('admin.name')}</th>
            <th>{t('admin.email')}</th>
            <th>{t('admin.role')}</th>
            <th>
              <span class="visually-hidden">{t('admin.actions')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {members.map((m) => (
            <tr key={m.id}>
              <td>
                {m.name}
                {m.mustChangePassword && <div class="muted">{t('admin.mustChangePassword')}</div>}
              </td>
              <td>{m.email}</td>
              <td>{t(m.role === 'admin' ? 'admin.roleAdmin' : 'admin.roleProfessional')}</td>
              <td class="actions">
                <button
                  type="button"
                  class="secondary"
                  aria-label={t('admin.resetPasswordOf', { name: m.name })}
                  onClick={() =>
                    window.confirm(t('admin.confirmReset', { name: m.name })) &&
                    void act(async () => {
                      const reset = await fetchRoute(organizationAdminRoutes.resetPassword, { params: { id: m.id } });
                      onSecret([{ label: t('admin.temporaryPassword', { name: m.name }), value: reset.temporaryPassword, kind: 'password', copyLabel: t('admin.copyPassword') }]);
                    })
                  }
                >
                  {t('admin.resetPassword')}
                </button>
                {m.id !== selfId && (
                  <button
                    type="button"
                    class="secondary danger"
                    aria-label={t('admin.removeMember', { name: m.name })}
                    onClick={() => window.confirm(t('admin.confirmRemove', { name: m.name })) && void act(() => fetchRoute(organizationAdminRoutes.removeMember, { params: { id: m.id } }))}
                  >
                    {t('admin.remove')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form onSubmit={invite} class="inline-form" aria-labelledby="invite-heading">
        <h3 id="invite-heading">{t('admin.invite')}</h3>
        <label class="field">
          <span>{t('admin.name')}</span>
          <input value={name} required maxLength={100} onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label class="field">
          <span>{t('admin.email')}</span>
          <input type="email" value={email} required onInput={(e) => setEmail((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label class="field">
          <span>{t('admin.role')}</span>
          <select value={role} onChange={(e) => setRole((e.currentTarget as HTMLSelectElement).value as 'professional' | 'admin')}>
            <option value="professional">{t('admin.roleProfessional')}</option>
            <option value="admin">{t('admin.roleAdmin')}</option>
          </select>
        </label>
        <button type="submit">{t('admin.sendInvitation')}</button>
        <p class="muted">{t('admin.inviteHelp')}</p>
      </form>
    </section>
  );
}

function Rooms({ rooms, members, nameOf, act }: {
  rooms: AdminRoom[];
  members: MemberInfo[];
  nameOf: (id: string) => string;
  act: (action: () => Promise<void>) => Promise<void>;
}) {
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);

  const create = (e: Event) => {
    e.preventDefault();
    void act(async () => {
      await fetchRoute(organizationAdminRoutes.createRoom, { body: { name, members: chosen } });
      setName('');
      setChosen([]);
    });
  };

  return (
    <section aria-labelledby="rooms-heading">
      <h2 id="rooms-heading">{t('admin.rooms')}</h2>
      <ul class="rooms">
        {rooms.map((r) => (
          <RoomItem key={r.roomId} room={r} members={members} nameOf={nameOf} act={act} />
        ))}
      </ul>
      <form onSubmit={create} class="inline-form" aria-labelledby="new-room-heading">
        <h3 id="new-room-heading">{t('admin.newRoom')}</h3>
        <label class="field">
          <span>{t('admin.roomName')}</span>
          <input value={name} required maxLength={80} onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <MemberChoice members={members} chosen={chosen} onChange={setChosen} legend={t('admin.whoBelongs')} />
        <button type="submit">{t('admin.createRoom')}</button>
      </form>
    </section>
  );
}

function RoomItem({ room, members, nameOf, act }: {
  room: AdminRoom;
  members: MemberInfo[];
  nameOf: (id: string) => string;
  act: (action: () => Promise<void>) => Promise<void>;
}) {
  const [name, setName] = useState(room.name);
  const [chosen, setChosen] = useState(room.members);
  useEffect(() => {
    setName(room.name);
    setChosen(room.members);
  }, [room.name, room.members.join()]);
  const link = `${location.origin}/r/${room.slug}`;
  const changed = name.trim() !== room.name || [...chosen].sort().join() !== [...room.members].sort().join();

  return (
    <li aria-label={room.name}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void act(async () => {
            await fetchRoute(organizationAdminRoutes.updateRoom, { params: { id: room.roomId }, body: room.kind === 'shared' ? { name, members: chosen } : { name } });
          });
        }}
      >
        <label class="field">
          <span>{t('admin.roomName')}</span>
          <input value={name} maxLength={80} onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <p class="muted">
          {t('admin.link')}: <a href={link}>{link}</a> · {room.kind === 'personal' ? t('admin.personalRoomOf', { name: nameOf(room.members[0] ?? '') }) : t('admin.sharedRoom')}
        </p>
        {room.kind === 'shared' && <MemberChoice members={members} chosen={chosen} onChange={setChosen} legend={t('admin.whoBelongs')} />}
        <button type="submit" disabled={!changed}>
          {t('admin.save')}
        </button>
        {room.kind === 'shared' && (
          <button
            type="button"
            class="secondary danger"
            aria-label={t('admin.deleteRoomNamed', { name: room.name })}
            onClick={() => window.confirm(t('admin.confirmDeleteRoom', { name: room.name })) && void act(() => fetchRoute(organizationAdminRoutes.deleteRoom, { params: { id: room.roomId } }))}
          >
            {t('admin.deleteRoom')}
          </button>
        )}
      </form>
      <CheckInFormEditor key={JSON.stringify(room.checkIn)} roomId={room.roomId} roomName={room.name} config={room.checkIn} act={act} />
      <RoomPriceEditor key={JSON.stringify(room.price)} roomId={room.roomId} roomName={room.name} price={room.price} act={act} />
    </li>
  );
}

function MemberChoice({ members, chosen, onChange, legend }: { members: MemberInfo[]; chosen: string[]; onChange: (ids: string[]) => void; legend: string }) {
  return (
    <fieldset>
      <legend>{legend}</legend>
      {members.map((m) => (
        <label key={m.id} class="check">
          <input
            type="checkbox"
            checked={chosen.includes(m.id)}
            onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked ? [...chosen, m.id] : chosen.filter((id) => id !== m.id))}
          />
          {m.name}
        </label>
      ))}
    </fieldset>
  );
}
