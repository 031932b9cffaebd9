import type { Redis } from 'ioredis';

/*
 * Counts the Redis round trips one client makes, at the client: a command sent on its own is one, and a
 * pipeline (or MULTI, or ioredis's auto-pipelining batch) is one however many commands it carries, as is a
 * script. Shared by the round-trip budget test and bench:waiting-room, so both count the same way.
 */

interface CommandLike {
  name: string;
  args?: unknown[];
}
type SendCommand = (cmd: CommandLike, stream?: object) => unknown;

export interface RoundTripCounter {
  /** Round trips since the last reset. */
  readonly trips: number;
  /** Commands since the last reset, by name. */
  readonly commands: ReadonlyMap<string, number>;
  /** All commands since the last reset. */
  readonly commandCount: number;
  /** e.g. "evalsha 5, hgetall 3". */
  breakdown(): string;
  reset(): void;
  /** Puts the client's own sendCommand back. */
  stop(): void;
}

/**
 * Waits until the client has sent nothing for `quietMs`, so the side effects that run after an answer
 * (audit entry, webhook event) are counted with their visitor and none of them lands in the next one's count.
 */
export async function settled(counter: RoundTripCounter, quietMs = 300): Promise<void> {
  let seen = -1;
  while (seen !== counter.commandCount) {
    seen = counter.commandCount;
    await new Promise((r) => setTimeout(r, quietMs));
  }
}

export function countRoundTrips(client: Redis): RoundTripCounter {
  // Replaced on this instance only: ioredis types sendCommand with its Command class, of which we read two fields.
  const redis = client as unknown as { sendCommand: SendCommand };
  const original: SendCommand = redis.sendCommand;
  let trips = 0;
  let streams = new WeakSet<object>();
  const commands = new Map<string, number>();
  // A pipeline hands the same stream object to every command it writes: the first one is the trip.
  redis.sendCommand = function (cmd, stream) {
    if (!stream) trips++;
    else if (!streams.has(stream)) {
      streams.add(stream);
      trips++;
    }
    // TRACE_ROUND_TRIPS=1: each command as it goes out, with its trip's number (to find where a trip comes from).
    if (process.env.TRACE_ROUND_TRIPS) {
      const a = (cmd.args ?? []).map((x) => String(x).replace(/\{org:[0-9a-f]+\}/, '{o}').slice(0, 50));
      console.log(`TRIP ${trips} ${cmd.name} ${a.slice(0, 6).join(' ')}`);
    }
    commands.set(cmd.name, (commands.get(cmd.name) ?? 0) + 1);
    return original.call(this, cmd, stream);
  };
  return {
    get trips() {
      return trips;
    },
    get commands() {
      return commands;
    },
    get commandCount() {
      return [...commands.values()].reduce((a, b) => a + b, 0);
    },
    breakdown() {
      return [...commands].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([n, c]) => `${n} ${c}`).join(', ');
    },
    reset() {
      trips = 0;
      streams = new WeakSet();
      commands.clear();
    },
    stop() {
      redis.sendCommand = original;
    },
  };
}
