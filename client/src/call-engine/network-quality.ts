import type { NetworkRating } from '../../../signaling/protocol/index.ts';

export interface NetworkSample {
  rating: NetworkRating;
  /** Packets lost, percent, over the last interval (incoming, and as the SFU reports for outgoing). */
  lossPercent: number;
  rttMs: number;
}

interface Counters {
  lost: number;
  received: number;
}

/**
 * This browser's connection to the SFU, from its own WebRTC statistics: round-trip time of the selected
 * candidate pair, and packet loss both ways since the previous sample. Good: under 2 % loss and 300 ms;
 * fair: under 8 % and 600 ms; poor otherwise (video will stutter or stop).
 */
export class NetworkQuality {
  private previous: Counters = { lost: 0, received: 0 };

  async sample(reports: RTCStatsReport[]): Promise<NetworkSample> {
    let rtt = 0;
    let lost = 0;
    let received = 0;
    const outgoingLoss: number[] = [];
    for (const report of reports) {
      report.forEach((s: Record<string, unknown>) => {
        if (s.type === 'candidate-pair' && s.state === 'succeeded' && typeof s.currentRoundTripTime === 'number') rtt = Math.max(rtt, s.currentRoundTripTime);
        if (s.type === 'inbound-rtp') {
          lost += Number(s.packetsLost ?? 0);
          received += Number(s.packetsReceived ?? 0);
        }
        if (s.type === 'remote-inbound-rtp' && typeof s.fractionLost === 'number') outgoingLoss.push(s.fractionLost * 100);
      });
    }
    const dLost = Math.max(0, lost - this.previous.lost);
    const dReceived = Math.max(0, received - this.previous.received);
    this.previous = { lost, received };
    const incoming = dLost + dReceived > 0 ? (100 * dLost) / (dLost + dReceived) : 0;
    const lossPercent = Math.min(100, Math.max(incoming, ...outgoingLoss, 0));
    const rttMs = rtt * 1000;
    const rating: NetworkRating = lossPercent < 2 && rttMs < 300 ? 'good' : lossPercent < 8 && rttMs < 600 ? 'fair' : 'poor';
    return { rating, lossPercent, rttMs };
  }
}
