import { z } from 'zod';
import { language, type Language } from './language.ts';

/** GET /privacy/:orgId?lang=: the language asked for; anything else falls back to the browser's preference. */
export const privacyPageQuery = z.object({ lang: language.optional().catch(undefined) });

/** Where an organization's privacy page is (its id is no secret: the page says nothing about any person). */
export const privacyPagePath = (orgId: string): string => `/privacy/${orgId}`;

/** A privacy page's path as one page hands it to another (the visitor app to its payment frame). */
export const privacyPagePathSchema = z.string().regex(/^\/privacy\/[0-9a-f]{32}$/);

/** The privacy page in the visitor's language: the link the visitor's screens show. */
export const privacyPageLink = (path: string, lang: Language): string => `${path}?lang=${lang}`;
