import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';

declare global {
  interface Window {
    /** axe-core, once wcagViolations has evaluated it in the page. */
    axe?: { run(context: unknown, options: unknown): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }> };
  }
}

/*
 * What every screen must pass on a phone (issue: phone first): nothing wider than the viewport, every
 * control inside it sideways, tap targets of at least 44 px, and no WCAG 2.1 AA violation that axe-core
 * can find. A screenshot of each screen is kept under test-artifacts/screens/ for a person to look at.
 */

export interface Viewport {
  name: string;
  width: number;
  height: number;
  /** A phone or tablet: touch, mobile meta viewport, a device pixel ratio above 1. */
  mobile: boolean;
}

export const PHONE_PORTRAIT: Viewport = { name: 'phone-360x640', width: 360, height: 640, mobile: true };
export const PHONE_TALL: Viewport = { name: 'phone-390x844', width: 390, height: 844, mobile: true };
export const PHONE_LANDSCAPE: Viewport = { name: 'phone-640x360', width: 640, height: 360, mobile: true };
export const TABLET: Viewport = { name: 'tablet-768x1024', width: 768, height: 1024, mobile: true };
export const TABLET_LANDSCAPE: Viewport = { name: 'tablet-1024x768', width: 1024, height: 768, mobile: true };
export const DESKTOP: Viewport = { name: 'desktop-1280x800', width: 1280, height: 800, mobile: false };

export const PHONES = [PHONE_PORTRAIT, PHONE_TALL, PHONE_LANDSCAPE] as const;

/** WCAG's target size (2.5.5, AAA) that the issue asks of every control: 44 CSS px. */
export const MIN_TAP_PX = 44;

/** A context emulating a phone or tablet (or a desktop) of that size, with camera and microphone allowed. */
export async function newDeviceContext(browser: Browser, viewport: Viewport, origin?: string): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: { width: viewport.width, height: viewport.height },
    isMobile: viewport.mobile,
    hasTouch: viewport.mobile,
    deviceScaleFactor: viewport.mobile ? 2 : 1,
    permissions: ['camera', 'microphone'],
  });
  if (origin) await context.grantPermissions(['camera', 'microphone'], { origin });
  return context;
}

export interface LayoutProblem {
  kind: 'too_wide' | 'outside_viewport' | 'small_target' | 'horizontal_scroll' | 'zooming_field';
  /** A short CSS-like description of the element, and its text, to find it. */
  element: string;
  detail: string;
}

/**
 * The layout problems of the page as it is now: the page scrolls sideways; a visible element sticks out
 * of the viewport to the left or right; a visible control (button, link, input, select, textarea, summary,
 * [role=button], a label wrapping a checkbox or radio) is smaller than 44 px in either direction; a text
 * field's type is smaller than 16 px (iOS zooms the whole page into such a field when it gets the focus).
 * `ignore`: CSS selectors of elements allowed to break a rule on purpose (say why at the call).
 */
export function layoutProblems(page: Page | Frame, ignore: string[] = []): Promise<LayoutProblem[]> {
  // A string, not a function: the test runner's transpiler names inner functions with a helper the page lacks.
  return page.evaluate(`(${IN_PAGE_LAYOUT_CHECK})(${JSON.stringify({ minTap: MIN_TAP_PX, ignore })})`) as Promise<LayoutProblem[]>;
}

const IN_PAGE_LAYOUT_CHECK = `({ minTap, ignore }) => {
  const problems = [];
  const width = document.documentElement.clientWidth;
  const describe = (el) => {
    const id = el.id ? '#' + el.id : '';
    const cls = typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
    const text = (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
    return el.tagName.toLowerCase() + id + cls + (text ? ' "' + text + '"' : '');
  };
  const ignored = (el) => ignore.some((sel) => el.closest(sel));
  const visible = (el) => {
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none' || Number(style.opacity) === 0) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  // Content clipped by an ancestor that hides or scrolls its overflow does not make the page wider.
  const clipped = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'hidden' || o === 'auto' || o === 'scroll' || o === 'clip') return true;
    }
    return false;
  };
  if (document.scrollingElement && document.scrollingElement.scrollWidth > width + 1) {
    problems.push({ kind: 'horizontal_scroll', element: 'page', detail: 'scrolls sideways: ' + document.scrollingElement.scrollWidth + ' px wide in a ' + width + ' px viewport' });
  }
  for (const el of Array.from(document.body.querySelectorAll('*'))) {
    if (ignored(el) || !visible(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width > width + 1 && !clipped(el)) {
      problems.push({ kind: 'too_wide', element: describe(el), detail: Math.round(r.width) + ' px wide in a ' + width + ' px viewport' });
    } else if ((r.left < -1 || r.right > width + 1) && !clipped(el)) {
      problems.push({ kind: 'outside_viewport', element: describe(el), detail: 'from ' + Math.round(r.left) + ' to ' + Math.round(r.right) + ' px, viewport ' + width + ' px' });
    }
    const control =
      el.matches('button, a[href], input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea, summary, [role=button], [role=tab]') ||
      (el.matches('label') && !!el.querySelector('input[type=checkbox], input[type=radio]'));
    // A link inside running text is exempt in WCAG too (2.5.5: inline).
    const inline = el.matches('a') && getComputedStyle(el).display === 'inline' && el.parentElement && el.parentElement.matches('p, li, small, span');
    if (control && !inline && (r.width < minTap - 0.5 || r.height < minTap - 0.5)) {
      problems.push({ kind: 'small_target', element: describe(el), detail: Math.round(r.width) + 'x' + Math.round(r.height) + ' px, at least ' + minTap + 'x' + minTap + ' needed' });
    }
    if (el.matches('input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=range]):not([type=color]), select, textarea')) {
      const size = parseFloat(getComputedStyle(el).fontSize);
      if (size < 15.5) problems.push({ kind: 'zooming_field', element: describe(el), detail: 'text ' + size + ' px, at least 16 px so that iOS does not zoom in' });
    }
  }
  return problems;
}`;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

const axeSource = (() => {
  let source: string | undefined;
  return async () => {
    if (!source) {
      const { readFile } = await import('node:fs/promises');
      source = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    }
    return source;
  };
})();

/** axe-core's WCAG 2.0 and 2.1, A and AA, violations on the page as it is now. */
export async function wcagViolations(page: Page | Frame, exclude: string[] = []): Promise<AxeViolation[]> {
  // Evaluated, not added as a <script>: our pages' CSP (script-src 'self') refuses inline scripts, and rightly.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(await axeSource());
  return page.evaluate(async (exclude) => {
    const axe = window.axe!;
    const result = await axe.run({ include: [document], exclude: exclude.map((s) => [s]) }, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  }, exclude);
}

const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts/screens');

/**
 * Keeps a screenshot of the whole page (or of a frame, as it shows in its page) as
 * test-artifacts/screens/<screen>-<viewport>.png, and on a phone or tablet its first screen as
 * <screen>-<viewport>-first-screen.png; answers the first one's path.
 */
export async function keepScreenshot(page: Page | Frame, screen: string, viewport: Viewport): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${screen}-${viewport.name}.png`);
  if ('screenshot' in page) {
    await page.screenshot({ path: file, fullPage: true });
    // What a person sees before scrolling, with what stays on screen (a sticky bar) where it stays: the
    // full page shows such a bar where the first screen ended.
    if (viewport.mobile) {
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: file.replace(/\.png$/, '-first-screen.png') });
    }
  } else await (await page.frameElement()).screenshot({ path: file });
  return file;
}

/**
 * Every check at once, for one screen at one size: keeps its screenshot, then answers a list of readable
 * problems (empty when the screen passes), so a failing test names each one. A frame (the payment step's)
 * is checked on its own: axe does not look into frames from the page around them.
 */
export async function checkScreen(page: Page | Frame, screen: string, viewport: Viewport, options: { ignoreLayout?: string[]; excludeFromAxe?: string[] } = {}): Promise<string[]> {
  await keepScreenshot(page, screen, viewport);
  const layout = await layoutProblems(page, options.ignoreLayout);
  const axe = await wcagViolations(page, options.excludeFromAxe);
  return [
    ...layout.map((p) => `${screen} at ${viewport.name}: ${p.kind} ${p.element}: ${p.detail}`),
    ...axe.map((v) => `${screen} at ${viewport.name}: axe ${v.id} (${v.impact}): ${v.help} at ${v.targets.slice(0, 3).join(', ')}`),
  ];
}
