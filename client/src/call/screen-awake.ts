import { useEffect } from 'preact/hooks';

/**
 * Keeps the screen on while `on` (a call): a phone left on the table dims and locks after half a minute
 * of no touch, and the person in the consultation has to keep tapping it to go on seeing the other.
 * The browser lets go of the lock by itself whenever the page is hidden (another app, the power button),
 * so it is asked for again each time the page is shown. Where the Wake Lock API is missing (older Safari
 * and Firefox) or the browser refuses (battery saver), the call goes on as before: nothing to tell anyone.
 */
export function useScreenAwake(on: boolean): void {
  useEffect(() => {
    const wakeLock = (navigator as Navigator & { wakeLock?: WakeLock }).wakeLock;
    if (!on || !wakeLock) return;
    let lock: WakeLockSentinel | null = null;
    let asking = false;
    let over = false;
    const ask = () => {
      if (over || asking || document.visibilityState !== 'visible' || (lock && !lock.released)) return;
      asking = true;
      wakeLock.request('screen').then(
        (sentinel) => {
          asking = false;
          if (over) void sentinel.release().catch(() => undefined);
          else lock = sentinel;
        },
        () => (asking = false),
      );
    };
    ask();
    document.addEventListener('visibilitychange', ask);
    return () => {
      over = true;
      document.removeEventListener('visibilitychange', ask);
      if (lock && !lock.released) void lock.release().catch(() => undefined);
    };
  }, [on]);
}
