import type { NextFunction, Request, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';
import { PAY_FRAME_PATH } from '../../protocol/index.ts';

/**
 * What Stripe's Payment Element needs on the payment frame, and nothing more: Stripe.js from Stripe's
 * script host, its iframes (the card fields, and 3-D Secure through hooks.stripe.com), its API calls.
 * See https://docs.stripe.com/security/guide#content-security-policy
 */
export const STRIPE_SOURCES = {
  scriptSrc: ['https://js.stripe.com', 'https://*.js.stripe.com'],
  frameSrc: ['https://js.stripe.com', 'https://*.js.stripe.com', 'https://hooks.stripe.com'],
  connectSrc: ['https://api.stripe.com'],
};

/**
 * The payment step's frame under a visit's link (`/r/<room>/pay`, `/c/<link>/pay`): the only page that may
 * run Stripe.js. The visitor app itself (check-in, waiting room, call) never allows Stripe.
 */
const PAY_FRAME_PAGE = new RegExp(`^/(r|c)/[^/]+/${PAY_FRAME_PATH}$`);

/** Who may frame this response: set by embedding's frameAncestors middleware for an organization's embeddable pages. */
const frameAncestorsOf = (res: ServerResponse) => (res as Response).locals?.frameAncestors as string[] | undefined;

/**
 * A strict CSP: our own scripts only, no inline script or style, media from the camera and WebRTC.
 * `frame-ancestors 'none'` except on an organization's embeddable pages, which its EHR origins may frame
 * (embedding/embed-origins.ts); those pages also go without X-Frame-Options, which would contradict it.
 * The payment frame is framed by the visitor app (same origin, itself maybe inside an EHR's page) and,
 * where card payment is set up, allows Stripe's Payment Element: the only page that does.
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
  const framedBySelf = [(_req: IncomingMessage, res: ServerResponse) => ["'self'", ...(frameAncestorsOf(res) ?? [])].join(' ')];
  const payFrame = headers({
    ...base,
    frameAncestors: framedBySelf,
    ...(opts.stripe
      ? { scriptSrc: [...base.scriptSrc, ...STRIPE_SOURCES.scriptSrc], frameSrc: STRIPE_SOURCES.frameSrc, connectSrc: [...base.connectSrc, ...STRIPE_SOURCES.connectSrc] }
      : {}),
  });
  // (frame-ancestors says who may frame it; X-Frame-Options would contradict it inside an EHR's page.)
  const payFramePage = (req: Request, res: Response, next: NextFunction) =>
    payFrame(req, res, (err?: unknown) => {
      res.removeHeader('X-Frame-Options');
      next(err);
    });
  return (req: Request, res: Response, next: NextFunction) => (PAY_FRAME_PAGE.test(req.path) ? payFramePage : everywhere)(req, res, next);
}
