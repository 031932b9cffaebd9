import type { CallEncryptionMode, NetworkRating } from '../../../signaling/protocol/index.ts';
import type { RemoteParticipant } from './remote-participants.ts';

export type CallStatus = 'connecting' | 'connected' | 'reconnecting' | 'ended' | 'failed';

export interface ChatMessage {
  /** The sender's peer id; null for this browser's own messages. */
  from: string | null;
  /** Null when the message could not be decrypted. */
  text: string | null;
  sentAt: number;
}

export interface CallEncryptionState {
  /**
   * Until the server has answered the join, not known. 'refused': the server offered the call
   * unencrypted and this build does not send in clear (only the benchmark build does).
   */
  mode: CallEncryptionMode | 'pending' | 'refused';
  safetyCode?: string;
  keyIndex?: number;
  /** Remote participants whose media this browser cannot decrypt. */
  undecryptable: string[];
  /** Remote participants whose key changed during the call: the safety code must be compared again. */
  keyChanged: string[];
}

export interface CallQuality {
  /** This browser's connection, as last measured; null until measured. */
  self: NetworkRating | null;
  /** Each other participant's, as their browser reports it. */
  peers: Record<string, NetworkRating>;
}

export interface CallSnapshot {
  status: CallStatus;
  quality: CallQuality;
  remotes: RemoteParticipant[];
  microphoneMuted: boolean;
  cameraOff: boolean;
  encryption: CallEncryptionState;
  chat: ChatMessage[];
  /** Whether this participant may share their screen (the organization decides for visitors). */
  screenShareAllowed: boolean;
  sharingScreen: boolean;
  /** This connection cannot carry video just now: sound only, both ways (camera video; screens go on). */
  audioOnly: boolean;
  error?: string;
}
