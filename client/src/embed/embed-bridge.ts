import {
  EMBED_MESSAGE_SOURCE,
  embedCommand,
  visitorRoutes,
  type EmbedCommand,
  type EmbedEvent,
  type EmbedView,
} from '../../../signaling/protocol/index.ts';
import { callRoute } from '../http/call-route.ts';

type EventWithoutSource = EmbedEvent extends infer E ? (E extends EmbedEvent ? Omit<E, 'source' | 'view'> : never) : never;

/** Whether this page runs inside a frame (an EHR's iframe) rather than as the top-level window. */
export const isFramed = (): boolean => {
  try {
    return window.top !== window.self;
  } catch {
    return true;
  }
};

/**
 * The embedded page's line to the EHR page around it. The EHR names its own origin in the page's address
 * (`embedOrigin`); the server confirms that the organization lists it (the same list its frame-ancestors
 * come from), and only then does the page talk: every event is posted to that exact origin (never `*`, so
 * no other page that might frame us hears about the consultation), and a command is obeyed only when it
 * comes from the parent window at that origin and parses as one.
 */
export class EmbedBridge {
  private constructor(
    private readonly origin: string,
    private readonly view: EmbedView,
  ) {}

  /** The bridge for this page, or null when it is not framed or its parent's origin is not allowed. */
  static async open(view: EmbedView): Promise<EmbedBridge | null> {
    if (!isFramed()) return null;
    const origin = new URLSearchParams(location.search).get('embedOrigin');
    if (!origin) return null;
    const res = await callRoute(visitorRoutes.embedParent, { query: { page: location.pathname, origin } }).catch(() => null);
    if (!res?.ok) return null;
    const confirmed = res.data.origin;
    return new EmbedBridge(confirmed, view);
  }

  post(event: EventWithoutSource): void {
    const message = { source: EMBED_MESSAGE_SOURCE, view: this.view, ...event } as EmbedEvent;
    window.parent.postMessage(message, this.origin);
  }

  /** Listens for the parent's commands; returns the way to stop listening. */
  onCommand(handler: (command: EmbedCommand['command']) => void): () => void {
    const listener = (event: MessageEvent) => {
      if (event.origin !== this.origin || event.source !== window.parent) return;
      const parsed = embedCommand.safeParse(event.data);
      if (parsed.success) handler(parsed.data.command);
    };
    window.addEventListener('message', listener);
    return () => window.removeEventListener('message', listener);
  }
}
