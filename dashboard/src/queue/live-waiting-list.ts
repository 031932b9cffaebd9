import type { WaitingVisitor } from '../../../signaling/protocol/index.ts';

export interface WaitingRow extends WaitingVisitor {
  /** Admitted by another professional: shown as taken for a moment, no longer admittable. */
  takenBy?: string;
  /** Taken off the list because their connection stayed lost past the grace period: shown for a moment. */
  dropped?: boolean;
}

type Change = (rows: WaitingRow[]) => WaitingRow[];

const byArrival = (a: WaitingVisitor, b: WaitingVisitor) => a.arrivedAt - b.arrivedAt;

/**
 * The waiting list a dashboard shows: `queue:list` answers, and the arrivals, removals and presence
 * changes heard in between. A list answer was read on the server at some moment before it arrives here,
 * and an arrival written just after that moment is heard (as `queue:arrived`) before the answer: put in
 * place of the list, the answer would make that visitor vanish (and one who left meanwhile would come back,
 * admittable). So what is heard while a list is on its way is kept and applied again on top of its answer.
 * Each change sets a visitor's row or field to what it is now, so applying again one the answer already
 * holds changes nothing. An answer older than one already applied is dropped; an older one arriving while
 * a newer request is still on its way is applied meanwhile (the newer may yet fail), with what was heard.
 */
export class LiveWaitingList {
  rows: WaitingRow[] = [];
  private latest = 0;
  /** The newest request whose answer is shown. */
  private applied = 0;
  /** The changes heard since the oldest list request still on its way (null: none is). */
  private heard: Change[] | null = null;

  constructor(private readonly onChange: (rows: WaitingRow[]) => void = () => undefined) {}

  /** A `queue:list` request goes out; answers its number, for `listed` or `notListed`. */
  listing(): number {
    this.heard ??= [];
    return ++this.latest;
  }

  /** The answer to request `n`. Answers whether it was taken (not older than the one shown). */
  listed(n: number, visitors: WaitingVisitor[]): boolean {
    if (n <= this.applied) return false;
    this.applied = n;
    const heard = this.heard ?? [];
    // Kept while a newer answer is still to come: it is applied on top of that one too.
    if (n === this.latest) this.heard = null;
    this.set(heard.reduce((rows, change) => change(rows), [...visitors].sort(byArrival) as WaitingRow[]));
    return true;
  }

  /** Request `n` failed (the connection went): nothing to apply changes to; the next connection lists again. */
  notListed(n: number): void {
    if (n === this.latest) this.heard = null;
  }

  arrived(v: WaitingVisitor): void {
    this.change((rows) => [...rows.filter((x) => x.visitorId !== v.visitorId), v].sort(byArrival));
  }

  gone(visitorId: string): void {
    this.change((rows) => rows.filter((x) => x.visitorId !== visitorId));
  }

  /** Marks a row for the moment before it goes (taken by a colleague, connection lost). */
  mark(visitorId: string, why: Pick<WaitingRow, 'takenBy' | 'dropped'>): void {
    this.change((rows) => rows.map((x) => (x.visitorId === visitorId ? { ...x, ...why } : x)));
  }

  presence(visitorId: string, online: boolean): void {
    this.change((rows) => rows.map((x) => (x.visitorId === visitorId ? { ...x, online } : x)));
  }

  messageKey(visitorId: string, publicKey: string): void {
    this.change((rows) => rows.map((x) => (x.visitorId === visitorId ? { ...x, messageKey: publicKey } : x)));
  }

  clear(): void {
    this.applied = ++this.latest;
    this.heard = null;
    this.set([]);
  }

  private change(change: Change): void {
    this.heard?.push(change);
    this.set(change(this.rows));
  }

  private set(rows: WaitingRow[]): void {
    this.rows = rows;
    this.onChange(rows);
  }
}
