import path from 'node:path';
import { Router, type Request } from 'express';
import { privacyPagePath, roomSlug, visitorRoutes, type RoomInfo } from '../../protocol/index.ts';
import { AppError, notFound } from '../errors.ts';
import type { Services } from '../services.ts';
import { typedRoutes } from '../http/typed-routes.ts';
import type { Room } from '../organizations/organization-store.ts';

/**
 * Knocking is public (a room link is like a phone number), but probing for links is not free: each
 * unknown link counts against the caller's address, and a burst gets 429.
 */
export function roomRoutes(s: Pick<Services, 'config' | 'organizations' | 'rateLimiter' | 'waitingRoom'>): Router {
  const router = Router();
  const routes = typedRoutes(router, s);

  /** `slug`: null for one that is not a room slug at all, which is as unknown as a made-up one. */
  async function findRoom(slug: string | null, req: Request): Promise<Room> {
    const room = slug !== null ? await s.organizations.findRoomBySlug(slug) : null;
    if (room) return room;
    const allowed = await s.rateLimiter.allow('unknown-room', { address: req.ip }, s.config.UNKNOWN_ROOM_LIMIT_PER_MINUTE, 60_000);
    throw allowed ? notFound('This link is not valid') : new AppError('rate_limited', 'too many requests');
  }

  routes.on(visitorRoutes.room, async ({ params }, req) => {
    const room = await findRoom(params?.slug ?? null, req);
    const [professionalName, timeZone] = await Promise.all([s.organizations.hostNameOf(room), s.organizations.timeZoneOf(room.orgId)]);
    const body: RoomInfo = { name: room.name, professionalName, timeZone, checkIn: room.checkIn, price: room.price, privacyPage: privacyPagePath(room.orgId) };
    return body;
  });

  // The visitor app; it shows "This link is not valid" itself for the 404, so both cases look the same.
  router.get('/r/:slug', async (req, res) => {
    let status = 200;
    try {
      await findRoom(roomSlug.safeParse(req.params.slug).data ?? null, req);
    } catch (error) {
      status = error instanceof AppError ? error.status : 500;
    }
    res.status(status).sendFile(path.join(s.config.CLIENT_DIST, 'index.html'));
  });

  return router;
}
