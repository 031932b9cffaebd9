import type { Page } from 'playwright-core';

/**
 * The page's `consult:*` User Timing marks (client/src/call-engine/marks.ts) at or after `since` (epoch
 * ms), the last of each name: ours and the floor's page leave the same ones.
 */
export async function marksSince(page: Page, since: number): Promise<{ name: string; at: number }[]> {
  const marks = await page.evaluate(() =>
    performance
      .getEntriesByType('mark')
      .filter((m) => m.name.startsWith('consult:'))
      .map((m) => ({ name: m.name.slice('consult:'.length), at: performance.timeOrigin + m.startTime })),
  );
  const last = new Map<string, number>();
  for (const m of marks) if (m.at >= since - 1) last.set(m.name, m.at);
  return [...last].map(([name, at]) => ({ name, at }));
}

/** Adds each of `marks` to `steps` under "<who>: <name>", as ms after `since`. */
export function addSteps(steps: Map<string, number[]>, who: string, marks: { name: string; at: number }[], since: number): void {
  for (const m of marks) addStep(steps, `${who}: ${m.name}`, m.at - since);
}

/** One more value of the step named `key`. */
export function addStep(steps: Map<string, number[]>, key: string, value: number): void {
  const values = steps.get(key);
  if (values) values.push(value);
  else steps.set(key, [value]);
}
