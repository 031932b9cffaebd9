import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';

/**
 * `bench:admit --rtp`, the SFU's side: what the call's video did inside mediasoup during an admission,
 * as steps beside the pages' own. Each key frame a producer received and each consumer sent, each
 * key-frame request (PLI or FIR) either way, a consumer's resume and its first packet out. It reads the
 * workers of this process (the bench starts our servers in it) through mediasoup's observer, so nothing
 * of ours changes for it.
 *
 * Whose is whose, without our code's ids: a video producer created during the watch is the visitor's (the
 * visitor is not in the call before the click); one made before it that gets a consumer during it is the
 * professional's ready call; any other (a device check's loopback) is left out. A consumer is "to" the
 * other side of its producer.
 *
 * Times: the workers' trace timestamps (their monotonic clock), moved onto the epoch by the smallest
 * difference seen between an event's arrival here and its timestamp, so a busy bench process does not
 * make the SFU look late.
 */
interface Watched {
  kind: 'producer' | 'consumer';
  id: string;
  producerId: string;
  entity: types.Producer | types.Consumer;
  /** Ends this watch's listening to it (the professional's producer outlives one admission). */
  unfollow(): void;
  /** `value`: a count, not a moment (`at` is then unused). */
  events: { name: string; workerTime?: number; at: number; value?: number }[];
}

interface Watch {
  pids: Set<number>;
  items: Map<string, Watched>;
  /** Producers alive when the watch began. */
  before: Set<string>;
}

const alive = new Map<string, { pid: number; producer: types.Producer }>();
let current: Watch | undefined;
let installed = false;
/** Epoch ms minus worker ms, the smallest seen (see above). */
let offset = Infinity;

function install(): void {
  if (installed) return;
  installed = true;
  mediasoup.observer.on('newworker', (worker) => {
    worker.observer.on('newrouter', (router) =>
      router.observer.on('newtransport', (transport) => {
        transport.observer.on('newproducer', (producer) => {
          if (producer.kind !== 'video') return;
          alive.set(producer.id, { pid: worker.pid, producer });
          producer.observer.once('close', () => alive.delete(producer.id));
          if (current?.pids.has(worker.pid)) follow(current, producer);
        });
        transport.observer.on('newconsumer', (consumer) => {
          if (consumer.kind !== 'video' || !current?.pids.has(worker.pid)) return;
          follow(current, consumer);
        });
      }),
    );
  });
}

type Owner = (producerId: string) => 'visitor' | 'professional' | undefined;

export interface SfuTrace {
  /** `ownerOf`: whose each producer is, where the rule above does not hold (the floor's both sides produce after the click). */
  watch(workerPids: number[], ownerOf?: Owner): { stop(since: number): Promise<{ name: string; at: number }[]> };
}

/** Starts tracing this process's mediasoup workers; call before any worker is created. */
export function traceSfu(): SfuTrace {
  install();
  return {
    watch(workerPids, ownerOf) {
      const w: Watch = { pids: new Set(workerPids), items: new Map(), before: new Set() };
      current = w;
      for (const [id, { pid, producer }] of alive) {
        if (!w.pids.has(pid)) continue;
        w.before.add(id);
        follow(w, producer);
      }
      return {
        async stop(since) {
          if (current === w) current = undefined;
          for (const item of w.items.values()) item.unfollow();
          await Promise.all([...w.items.values()].map(({ entity }) => (entity.closed ? undefined : entity.enableTraceEvent([]).catch(() => undefined))));
          return marksOf(w, since, ownerOf);
        },
      };
    },
  };
}

function follow(w: Watch, entity: types.Producer | types.Consumer): void {
  const isProducer = !('producerId' in entity);
  const item: Watched = {
    kind: isProducer ? 'producer' : 'consumer',
    id: entity.id,
    producerId: isProducer ? entity.id : (entity as types.Consumer).producerId,
    entity,
    events: [],
    unfollow: () => undefined,
  };
  w.items.set(entity.id, item);
  let firstPacket = false;
  /** The first key frame, followed packet by packet until its last (marker) packet: how long it took to pass. */
  let keyFrame: { timestamp: number; packets: number; bytes: number } | undefined;
  let keyFrameWhole = false;
  const traced: types.ProducerTraceEventType[] = ['keyframe', 'pli', 'fir', 'rtp'];
  const onTrace = (trace: types.ProducerTraceEventData | types.ConsumerTraceEventData) => {
    const now = Date.now();
    offset = Math.min(offset, now - trace.timestamp);
    const packet = trace.info as { timestamp?: number; marker?: boolean; size?: number } | undefined;
    const at = { workerTime: trace.timestamp, at: now };
    if (trace.type === 'keyframe' || trace.type === 'rtp') {
      // A key frame's first packet is traced as a key frame, not as rtp.
      if (!firstPacket) {
        firstPacket = true;
        item.events.push({ name: trace.direction === 'in' ? 'first video packet in' : 'first video packet out', ...at });
      }
      if (trace.type === 'keyframe' && !keyFrame && packet?.timestamp !== undefined) keyFrame = { timestamp: packet.timestamp, packets: 0, bytes: 0 };
      if (keyFrame && !keyFrameWhole && packet?.timestamp === keyFrame.timestamp) {
        keyFrame.packets++;
        keyFrame.bytes += packet.size ?? 0;
        if (packet.marker) {
          keyFrameWhole = true;
          item.events.push({ name: `first key frame's last packet ${trace.direction}`, ...at });
          item.events.push({ name: `first key frame's packets ${trace.direction} (a count, not a moment)`, at: -1, value: keyFrame.packets });
          item.events.push({ name: `first key frame's kB ${trace.direction} (a count, not a moment)`, at: -1, value: keyFrame.bytes / 1000 });
          // The rest would flood the channel.
          void entity.enableTraceEvent(traced.filter((t) => t !== 'rtp')).catch(() => undefined);
        }
      }
    }
    if (trace.type === 'rtp') return;
    const request = trace.type === 'pli' || trace.type === 'fir';
    const name = request ? `key-frame request ${trace.direction}` : `key frame ${trace.direction}`;
    item.events.push({ name, ...at });
  };
  const onResume = () => item.events.push({ name: 'resumed', at: Date.now() });
  (entity as types.Producer).on('trace', onTrace);
  if (!isProducer) (entity as types.Consumer).observer.on('resume', onResume);
  item.unfollow = () => {
    (entity as types.Producer).off('trace', onTrace);
    if (!isProducer) (entity as types.Consumer).observer.off('resume', onResume);
  };
  void entity.enableTraceEvent(traced).catch(() => undefined);
}

function marksOf(w: Watch, since: number, ownerOf?: Owner): { name: string; at: number }[] {
  const owner = new Map<string, 'visitor' | 'professional'>();
  const consumed = new Set([...w.items.values()].filter((i) => i.kind === 'consumer').map((i) => i.producerId));
  for (const item of w.items.values()) {
    if (item.kind !== 'producer') continue;
    const known = ownerOf?.(item.id);
    if (known) owner.set(item.id, known);
    else if (ownerOf) continue;
    else if (!w.before.has(item.id)) owner.set(item.id, 'visitor');
    else if (consumed.has(item.id)) owner.set(item.id, 'professional');
  }
  const marks: { name: string; at: number }[] = [];
  for (const item of w.items.values()) {
    const from = owner.get(item.producerId);
    if (!from) continue;
    const to = from === 'visitor' ? 'professional' : 'visitor';
    const where = item.kind === 'producer' ? `${from}'s producer` : `consumer to the ${to}`;
    const counts = new Map<string, number>();
    for (const e of item.events) {
      if (e.value !== undefined) {
        marks.push({ name: `${where}: ${e.name}`, at: since + e.value });
        continue;
      }
      const at = e.workerTime !== undefined && Number.isFinite(offset) ? e.workerTime + offset : e.at;
      if (at < since - 1) continue;
      const n = (counts.get(e.name) ?? 0) + 1;
      counts.set(e.name, n);
      const numbered = e.name.startsWith('key');
      marks.push({ name: `${where}: ${e.name}${numbered ? ` #${n}` : ''}`, at });
    }
  }
  return marks;
}
