import type { QueueRoom } from '../../../signaling/protocol/index.ts';
import { t } from '../strings.ts';

/** Which of the member's rooms something is for; nothing to choose (and nothing shown) with one room. */
export function RoomChoice({ rooms, value, onChange }: { rooms: QueueRoom[]; value: string; onChange: (roomId: string) => void }) {
  if (rooms.length < 2) return null;
  return (
    <label class="field">
      <span>{t('schedule.room')}</span>
      <select value={value} onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value)}>
        {rooms.map((r) => (
          <option key={r.roomId} value={r.roomId}>
            {r.name}
          </option>
        ))}
      </select>
    </label>
  );
}
