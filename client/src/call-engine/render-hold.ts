/**
 * Resolves when `ready` does, or after `ms` at the latest. A page holds its call screen's first render
 * until the call's media is set up (the visitor's join answered, the admitted visitor's first track on the
 * dashboard): that render takes the main thread for tens of milliseconds just when the media is being set
 * up. The bound keeps the screen from waiting on a join that stalls.
 */
export function renderWhenReady(ready: Promise<unknown>, ms: number): Promise<void> {
  return Promise.race([ready.then(() => undefined), new Promise<void>((resolve) => setTimeout(resolve, ms))]);
}
