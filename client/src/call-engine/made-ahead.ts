/**
 * Something a call needs that takes a moment to make (a key pair, a DTLS certificate), made while the
 * visitor waits and taken by one call only: no two calls share it. Once made, it is known without an
 * await, so a join can send it before the page gets a turn.
 */
export class MadeAhead<T> {
  private making?: Promise<T>;
  private made?: T;

  constructor(private readonly make: () => Promise<T>) {}

  /** Starts making the next one, unless one is made or being made. */
  prepare(): void {
    if (this.making) return;
    const making = this.make();
    this.making = making;
    making.then(
      (value) => {
        if (this.making === making) this.made = value;
      },
      () => {
        if (this.making === making) this.making = undefined;
      },
    );
  }

  /** Takes the one being made or made (`made` once it is), or nothing if none was prepared. */
  take(): { pending: Promise<T>; made?: T } | undefined {
    const pending = this.making;
    const made = this.made;
    this.making = this.made = undefined;
    return pending && { pending, made };
  }

  /** Takes it only if it is made already; one still being made stays for the next taker. */
  takeMade(): T | undefined {
    const made = this.made;
    if (made !== undefined) this.making = this.made = undefined;
    return made;
  }
}
