import type { NextFunction, Request, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

/**
 * What Stripe's Payment Element needs on the visitor's pages, and nothing more: Stripe.js from Stripe's
 * script host, its iframes (the card fields, and 3-D Secure through hooks.stripe.com), its API calls.
 * See https://docs.stripe.com/security/guide#content-security-policy
 */
export const STRIPE_SOURCES = {
  scriptSrc: ['https://js.stripe.com', 'https://*.js.stripe.com'],
  frameSrc: ['https://js.stripe.com', 'https://*.js.stripe.com', 'https://hooks.stripe.com'],
  connectSrc: ['https://api.stripe.com'],
};

/** The visitor app's pages: a room's link and a scheduled consultation's link. */
const VISITOR_PAGE = /^\/(r|c)\//;

/** Who may frame this response: set by embedding's frameAncestors middleware for an organization's embeddable pages. */
const frameAncestorsOf = (res: ServerResponse) => (res as unknown as Response).locals?.frameAncestors as string[] | undefined;

/**
 * A strict CSP: our own scripts only, no inline script or style, media from the camera and WebRTC.
 * `frame-ancestors 'none'` except on an organization's embeddable pages, which its EHR origins may frame
 * (embedding/embed-origins.ts); those pages also go without X-Frame-Options, which would contradict it.
 * Where card payment is set up, the visitor's pages (only those) also allow Stripe's Payment Element.
 */
export function securityHeaders(secure: boolean, opts: { stripe?: boolean } = {}) {
  const base = {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:', 'blob:'],
    mediaSrc: ["'self'", 'blob:', 'mediastream:'],
    connectSrc: ["'self'"],
    workerSrc: ["'self'", 'blob:'],
    fontSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: [(_req: IncomingMessage, res: ServerResponse) => frameAncestorsOf(res)?.join(' ') ?? "'none'"],
    ...(secure ? { upgradeInsecureRequests: [] } : {}),
  };
  type Directive = string | ((req: IncomingMessage, res: ServerResponse) => string);
  const headers = (directives: Record<string, Directive[]>) =>
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives },
      referrerPolicy: { policy: 'no-referrer' },
      strictTransportSecurity: secure ? { maxAge: 31536000 } : false,
      crossOriginEmbedderPolicy: false,
    });
  const withFraming = (middleware: ReturnType<typeof headers>) => (req: Request, res: Response, next: NextFunction) =>
    middleware(req, res, (err?: unknown) => {
      if (frameAncestorsOf(res)) res.removeHeader('X-Frame-Options');
      next(err);
    });
  const everywhere = withFraming(headers(base));
  if (!opts.stripe) return everywhere;
  const visitorPages = withFraming(headers({
    ...base,
    scriptSrc: [...base.scriptSrc, ...STRIPE_SOURCES.scriptSrc],
    frameSrc: STRIPE_SOURCES.frameSrc,
    connectSrc: [...base.connectSrc, ...STRIPE_SOURCES.connectSrc],
  }));
  return (req: Request, res: Response, next: NextFunction) => (VISITOR_PAGE.test(req.path) ? visitorPages : everywhere)(req, res, next);
}
