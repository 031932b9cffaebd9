import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import { EmbeddedSessions } from './embedded-sessions.ts';
import { EmbedOrigins } from './embed-origins.ts';
import { ProfessionalLinks } from './professional-links.ts';

/** EHR embedding's stores: single-use professional links, embedded sessions, and who may frame whom. */
export class Embedding {
  readonly links: ProfessionalLinks;
  readonly sessions: EmbeddedSessions;
  readonly origins: EmbedOrigins;

  constructor(redis: Redis, config: Config) {
    this.links = new ProfessionalLinks(redis, config.publicOrigin);
    this.sessions = new EmbeddedSessions(redis, config.SESSION_IDLE_MINUTES * 60_000, config.SESSION_MAX_HOURS * 3600_000);
    this.origins = new EmbedOrigins(redis, config.NODE_ENV === 'production');
  }
}
