import { z } from 'zod';
import type { Ack } from './errors.ts';
import type { CheckInDetails, CheckInStep } from './check-in.ts';
import type { DeviceCheckDetails } from './network-check.ts';
import type { RevealedIdentity, VerifiedIdentity } from './bankid.ts';
import type { CancelledBy } from './consultations.ts';
import {
  dtlsParameters,
  id,
  mediaKind,
  mediaSource,
  peerId,
  publicKey,
  sealedCopies,
  rtpCapabilities,
  networkRating,
  professionalMessage,
  rtpParameters,
  sealedChatMessage,
  sealedKeyMessage,
  type MediaSource,
  type webrtc,
} from './common.ts';

/*
 * Every Socket.IO event of both namespaces, declared once. Client -> server events are a table of
 * zod schemas (validated by the server before any handler runs) plus the type of the ack's payload;
 * server -> client events are plain types (the server is trusted by its own clients).
 */

// ---------- what the server sends back ----------

export interface TransportInfo {
  id: string;
  iceParameters: webrtc.IceParameters;
  iceCandidates: webrtc.IceCandidate[];
  dtlsParameters: webrtc.DtlsParameters;
  /** Our TURN server with a credential that expires within the hour; absent where none is set up. */
  iceServers?: IceServerInfo[];
  /** 'relay': send only through the TURN server. */
  iceTransportPolicy?: 'all' | 'relay';
  /**
   * Connected already with the DTLS parameters the join sent (a certificate the browser made ahead): its
   * connect needs no request. Absent or false: the browser sends `media:connect-transport` as usual.
   */
  connected?: boolean;
}

/** As RTCIceServer: `turn:`/`turns:` URLs and a time-limited TURN REST credential. */
export interface IceServerInfo {
  urls: string[];
  username: string;
  credential: string;
}

export interface ConsumerInfo {
  consumerId: string;
  producerId: string;
  kind: 'audio' | 'video';
  source: MediaSource;
  rtpParameters: webrtc.RtpParameters;
  /** The producer is paused: the other side muted or turned the camera off. */
  producerPaused: boolean;
  /** Who is sending it, so the UI can name the tile. */
  peer: PeerInfo;
}

export interface PeerInfo {
  /** Opaque and stable for the call, so tiles can be keyed by it. */
  id: string;
  role: 'visitor' | 'professional';
  name: string;
  /** The participant's public key for this call (base64url); the safety code is derived from these. */
  publicKey: string;
}

/**
 * Every call is end-to-end encrypted. The only other value exists for the CPU benchmark, on a server
 * started with a test-only switch that production configuration refuses; clients then say so plainly.
 */
export type CallEncryptionMode = 'end-to-end' | 'off-for-benchmark';

export interface CallJoined {
  /** This participant, as the others see it. */
  self: PeerInfo;
  encryption: CallEncryptionMode;
  sendTransport: TransportInfo;
  recvTransport: TransportInfo;
  /** Media already flowing in the call, ready to consume. */
  consumers: ConsumerInfo[];
  peers: PeerInfo[];
  /** Whether this participant may share their screen (professionals always; visitors where the organization allows it). */
  screenShare: boolean;
}

/** A dashboard that reads waiting-room messages: a professional's browser, by its own key. */
export interface MessageReader {
  deviceId: string;
  professionalName: string;
  publicKey: string;
}

/** A message to or from a waiting visitor, as one reader gets it: their own sealed copy. */
export interface WaitingMessage {
  messageId: string;
  visitorId: string;
  /** 'visitor', or the dashboard that sent it. */
  from: 'visitor' | MessageReader;
  /** The sender's public key when they sent it: the reader opens the message with it. */
  senderKey: string;
  sentAt: number;
  /** Sealed for this reader; opened with the sender's public key (the visitor's or the dashboard's). */
  blob: string;
}

export interface WaitingVisitor {
  visitorId: string;
  /** The answers to the room's check-in form besides the name. */
  checkIn?: CheckInDetails;
  /** The public key the visitor's browser reads messages with, once it has one. */
  messageKey?: string;
  name: string;
  roomId: string;
  roomName: string;
  arrivedAt: number;
  /** False while their connection is lost (they keep their place for the grace period). */
  online: boolean;
  /** When their scheduled consultation is, if they came with its link. */
  appointmentAt?: number;
  /** What their device check found (camera, microphone, network), if it ran. */
  deviceCheck?: DeviceCheckDetails;
  /** Verified with BankID: the name and birth date as the bank knows them (and the national id, where collected). */
  identity?: VerifiedIdentity;
}

/** A room as a dashboard lists it. */
export interface QueueRoom {
  roomId: string;
  name: string;
  slug: string;
  kind: 'personal' | 'shared';
  /** Visitors check in with an access code a professional gives them, and no name. */
  pseudonymous: boolean;
}

/** Why a visitor left a waiting list. */
export type QueueRemovalReason = 'left' | 'admitted' | 'connection_lost' | 'denied' | 'transferred' | 'cancelled';

/** A waiting visitor's place in the line (1 = next) and the estimated wait, null until calls were timed. */
export interface QueuePlace {
  position: number;
  estimatedMinutes: number | null;
}

export type VisitState =
  | { state: 'checking_in'; roomName: string; professionalName: string; steps: CheckInStep[] }
  | { state: 'waiting'; roomName: string; professionalName: string; arrivedAt: number; place: QueuePlace | null; appointmentAt?: number }
  | { state: 'in_call'; roomName: string; professionalName: string; callId: string }
  | { state: 'ended'; reason?: 'connection_lost' | 'denied' | 'cancelled'; message?: string };

/** A group call: the host, visitors admitted into it and colleagues asked in, at most this many in all. */
export const MAX_CALL_PARTICIPANTS = 6;

/** A member of the organization, as a colleague to ask into a call. */
export interface Colleague {
  professionalId: string;
  name: string;
}

/** A colleague's call this professional is asked into and has not joined or declined yet. */
export interface CallInvitation {
  callId: string;
  /** Who asked (their name; empty once they are no longer a member). */
  by: string;
}

// ---------- client -> server ----------

const empty = z.strictObject({});
const callId = z.strictObject({ callId: id });

/** Events any call participant (visitor or professional) may send about its call. */
export const callEvents = {
  /**
   * `dtlsParameters`: this browser's DTLS role and certificate fingerprints, when it made its certificate
   * ahead of the join: both transports are connected with them at once, which saves the browser a round
   * trip before its first media (see TransportInfo.connected).
   */
  'call:join': { request: z.strictObject({ callId: id, rtpCapabilities, publicKey, dtlsParameters: dtlsParameters.optional() }), response: {} as CallJoined },
  /** A sender's media key sealed for one other participant; relayed as is. */
  'e2ee:key': { request: z.strictObject({ callId: id, to: peerId, blob: sealedKeyMessage }), response: {} as {} },
  /** An in-call text message sealed with the sender's chat key; relayed to everyone else in the call, never stored. */
  'chat:send': { request: z.strictObject({ callId: id, blob: sealedChatMessage }), response: {} as { sentAt: number } },
  'media:connect-transport': {
    request: z.strictObject({ callId: id, transportId: z.uuid(), dtlsParameters }),
    response: {} as {},
  },
  'media:produce': {
    request: z.strictObject({ callId: id, transportId: z.uuid(), kind: mediaKind, source: mediaSource, rtpParameters }),
    response: {} as { producerId: string },
  },
  /** Stops sending one of this participant's own tracks for good (the end of a screen share). */
  'media:close-producer': { request: z.strictObject({ callId: id, producerId: z.uuid() }), response: {} as {} },
  /**
   * This participant's connection cannot carry video (or can again): the SFU stops (or restarts) sending
   * it the others' camera video; sound and shared screens go on.
   */
  'media:receive-video': { request: z.strictObject({ callId: id, on: z.boolean() }), response: {} as {} },
  'media:resume-consumer': { request: z.strictObject({ callId: id, consumerId: z.uuid() }), response: {} as {} },
  'media:set-producer-paused': {
    request: z.strictObject({ callId: id, producerId: z.uuid(), paused: z.boolean() }),
    response: {} as {},
  },
  /**
   * The host ends the call for everyone; anyone else leaves it (a colleague asked in declines with it).
   * The call ends too when no one is left to talk to.
   */
  'call:hang-up': { request: callId, response: {} as {} },
  /**
   * How this participant's connection is doing (measured in its browser every few seconds): shown to the
   * others next to its name, and kept as technical data under the retention period.
   */
  'call:quality': {
    request: z.strictObject({ callId: id, rating: networkRating, lossPercent: z.number().min(0).max(100), rttMs: z.number().min(0).max(60_000) }),
    response: {} as {},
  },
} as const;

/** Messages with waiting visitors: sealed in the browsers, stored and relayed as ciphertext only. */
const messageSend = z.strictObject({ copies: sealedCopies });

export const visitorEvents = {
  ...callEvents,
  /** The public key this visitor's browser reads messages with (its private key never leaves the browser). */
  'messages:key': { request: z.strictObject({ publicKey }), response: {} as {} },
  /** The dashboards that can read what this visitor writes: the room's professionals' browsers. */
  'messages:readers': { request: empty, response: {} as { readers: MessageReader[] } },
  /** A message to the room's professionals, one sealed copy per reader (and one for the visitor's own later reading). */
  'messages:send': { request: messageSend, response: {} as { messageId: string; sentAt: number } },
  /** The messages of this visit, each as this visitor's copy. */
  'messages:list': { request: empty, response: {} as { messages: WaitingMessage[] } },
  'visit:status': { request: empty, response: {} as { visit: VisitState } },
  'visit:leave': { request: empty, response: {} as {} },
  /** Done with the room's check-in steps: into the waiting line (`check_in_incomplete` while one is left). */
  'visit:enter': { request: empty, response: {} as { visit: VisitState } },
} as const;

export const professionalEvents = {
  ...callEvents,
  /** This dashboard's key for reading messages: one per browser, its private key kept there. */
  'messages:device': { request: z.strictObject({ deviceId: id, publicKey }), response: {} as {} },
  /** Who can read a message about this visitor: the visitor's key, and the dashboards of the room's professionals. */
  'messages:readers': { request: z.strictObject({ visitorId: id }), response: {} as { visitorKey: string | null; readers: MessageReader[] } },
  /** A message to a waiting visitor (seen by the room's other professionals too), one sealed copy per reader. */
  'messages:send': {
    request: z.strictObject({ visitorId: id, deviceId: id, copies: sealedCopies }),
    response: {} as { messageId: string; sentAt: number },
  },
  /** The messages with a visitor, each as this dashboard's copy (none before it could read them). */
  'messages:list': { request: z.strictObject({ visitorId: id, deviceId: id }), response: {} as { messages: WaitingMessage[] } },
  /**
   * The rooms this member may see (need to know), and everyone waiting in them, oldest first; and every
   * room of the organization by name, for transfers.
   */
  'queue:list': {
    request: empty,
    response: {} as {
      rooms: QueueRoom[];
      visitors: WaitingVisitor[];
      transferTargets: { roomId: string; name: string }[];
      colleagues: Colleague[];
      /** The organization's ready-made messages to waiting visitors. */
      quickReplies: string[];
    },
  },
  /**
   * A call of this dashboard's own, with no one else in it yet: the professional's media is set up in it
   * while visitors wait (nothing is sent), so that admitting someone into it does not wait for that.
   * `call:hang-up` gives it up.
   */
  'call:get-ready': { request: empty, response: {} as { callId: string } },
  /**
   * From a call: a visitor goes back to the waiting room (first in line); their media leaves the call at
   * once. `visitorId`: which one, in a call with several (the first admitted if absent).
   */
  'call:send-back': { request: z.strictObject({ callId: id, visitorId: id.optional() }), response: {} as {} },
  /** Asks a colleague of the organization into this call; their dashboard offers to join. */
  'call:invite': { request: z.strictObject({ callId: id, professionalId: id }), response: {} as {} },
  /**
   * Takes back an ask into this call that the colleague has not answered: their dashboards stop offering
   * it and the call leaves their history. `not_found` once they joined or declined it.
   */
  'call:withdraw-invitation': { request: z.strictObject({ callId: id, professionalId: id }), response: {} as {} },
  /**
   * The calls this professional is asked into and has not yet joined or declined, oldest first: asked on
   * every (re)connection and after each `call:invitations-changed`, so an invitation made while the
   * dashboard was connecting or away is offered all the same.
   */
  'call:invitations': { request: empty, response: {} as { invitations: CallInvitation[] } },
  /** Turns a waiting visitor away, with an optional message shown to them. */
  'queue:deny': { request: z.strictObject({ visitorId: id, message: professionalMessage.optional() }), response: {} as {} },
  /** Moves a waiting visitor to another room of the organization (a professional's own, or a shared one), keeping their arrival time. */
  'queue:transfer': { request: z.strictObject({ visitorId: id, roomId: id }), response: {} as {} },
  /**
   * `callId`: this dashboard's ready call (from `call:get-ready`) to admit the visitor into, or an ongoing
   * call of this professional, to add them to it (up to MAX_CALL_PARTICIPANTS).
   */
  'queue:admit': { request: z.strictObject({ visitorId: id, callId: id.optional() }), response: {} as { callId: string } },
  /**
   * The national identity number of a visitor this member handles (waiting in a room they may act on, or
   * in a call with them); written to the audit log. Not on record, or not theirs to see: `not_found`.
   */
  'queue:identity': { request: z.strictObject({ visitorId: id }), response: {} as RevealedIdentity },
} as const;

export type EventTable = Record<string, { request: z.ZodType; response: object }>;

export type ClientEventsOf<T extends EventTable> = {
  [K in keyof T]: (payload: z.input<T[K]['request']>, ack: (res: Ack<T[K]['response']>) => void) => void;
};

export type VisitorClientEvents = ClientEventsOf<typeof visitorEvents>;
export type ProfessionalClientEvents = ClientEventsOf<typeof professionalEvents>;
export type CallClientEvents = ClientEventsOf<typeof callEvents>;

// ---------- server -> client ----------

/** A connection's quality: good, fair (some loss or delay), poor (video will suffer). */
export type NetworkRating = z.infer<typeof networkRating>;

export interface CallServerEvents {
  /** Another participant's connection quality, as their browser measures it. */
  'call:peer-quality': (e: { callId: string; peerId: string; rating: NetworkRating }) => void;
  'call:consumer-added': (consumer: ConsumerInfo) => void;
  'call:consumer-closed': (e: { consumerId: string }) => void;
  'call:consumer-paused': (e: { consumerId: string; paused: boolean }) => void;
  'call:ended': (e: { callId: string }) => void;
  /** Someone (else) joined the call's media, or joined again with a new key. */
  'call:peer-joined': (e: { callId: string; peer: PeerInfo }) => void;
  /** Someone left the call's media (closed the tab, lost the connection). */
  'call:peer-left': (e: { callId: string; peerId: string }) => void;
  'e2ee:key': (e: { callId: string; from: string; blob: string }) => void;
  'chat:message': (e: { callId: string; from: string; blob: string; sentAt: number }) => void;
  /** The media server hosting the call went away; join again to get media back. */
  'call:media-lost': (e: { callId: string }) => void;
}

export interface VisitorServerEvents extends CallServerEvents {
  'visit:admitted': (e: { callId: string }) => void;
  /** The professional sent the visitor back to the waiting room from the call. */
  'visit:sent-back': (e: { callId: string; place: QueuePlace | null }) => void;
  /** The professional turned the visitor away; `message` is theirs, if they wrote one. */
  'visit:denied': (e: { message?: string }) => void;
  /** The consultation the visitor came for was cancelled (by the clinic's system): their visit is over. */
  'visit:cancelled': () => void;
  /** The visitor was moved to another room; they keep their arrival time. */
  'visit:moved': (e: { roomName: string; professionalName: string; place: QueuePlace | null }) => void;
  /** A message from the professionals, as this visitor's copy. */
  'messages:new': (message: WaitingMessage) => void;
  /** The visitor's new place in line (someone ahead was admitted or left). */
  'visit:place': (place: QueuePlace) => void;
}

export interface ProfessionalServerEvents extends CallServerEvents {
  'queue:arrived': (visitor: WaitingVisitor) => void;
  /** `by`: who admitted the visitor, so every other dashboard can say "taken by Dr X". */
  'queue:removed': (e: { visitorId: string; roomId: string; reason: QueueRemovalReason; by?: string }) => void;
  /** A waiting visitor's connection dropped (they keep their place for a while) or came back. */
  'queue:presence': (e: { visitorId: string; roomId: string; online: boolean }) => void;
  /** The rooms this dashboard may see changed (an admin added or removed it, renamed or deleted one): list again. */
  'queue:rooms-changed': () => void;
  /** A message with a visitor of this dashboard's rooms, as this dashboard's copy. */
  'messages:new': (message: WaitingMessage) => void;
  /** A waiting visitor's browser has a (new) key for messages. */
  'queue:message-key': (e: { visitorId: string; roomId: string; publicKey: string }) => void;
  /** A colleague asks this professional into their call; `call:join` joins it, `call:hang-up` declines. */
  'call:invited': (e: { callId: string; by: string }) => void;
  /**
   * This professional's pending invitations changed (one was joined or declined, here or in another tab,
   * or withdrawn):
   * ask `call:invitations` again. A call's end says so with `call:ended`.
   */
  'call:invitations-changed': () => void;
  /** A consultation of one of this dashboard's rooms was booked or cancelled (by whom): list the upcoming ones again. */
  'consultations:changed': (e: { consultationId: string; cancelledBy?: CancelledBy }) => void;
  /** The login session ended (logout, expiry); the socket is closed right after. */
  'session:ended': () => void;
}

export const NAMESPACE = { visitor: '/visitor', professional: '/pro' } as const;
