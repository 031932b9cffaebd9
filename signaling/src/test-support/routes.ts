import type { Express } from 'express';

export interface RouteOfApp {
  method: string;
  /** As declared, with its parameters (`/api/admin/members/:id`). */
  path: string;
}

interface LayerLike {
  /** Where a router is mounted: one path, or several (`use(['/a', '/b'], router)`). */
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: LayerLike[] };
}

/**
 * Every route an Express app answers, read from its routers themselves (nested routers included), so a
 * test that must cover "every admin route" covers the next one added too.
 */
export function routesOf(app: Express): RouteOfApp[] {
  const found: RouteOfApp[] = [];
  const walk = (stack: LayerLike[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const path of [layer.route.path].flat()) {
          if (typeof path !== 'string') continue;
          for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') found.push({ method: method.toUpperCase(), path: prefix + path });
        }
      } else if (layer.handle?.stack) {
        for (const mount of [layer.rawPath ?? '/'].flat()) {
          if (typeof mount === 'string') walk(layer.handle.stack, prefix + (mount === '/' ? '' : mount));
        }
      }
    }
  };
  // Express 5 types its router's layer stack loosely; the walk reads only the fields LayerLike names.
  walk((app.router as unknown as { stack: LayerLike[] }).stack, '');
  return found;
}

/** A route's path with each parameter filled in (an id-shaped value, so schemas do not refuse it first). */
export const filledPath = (path: string, value = '0123456789abcdef0123456789abcdef') => path.replace(/:[A-Za-z_]+/g, value);
