import type { Server as SocketServer } from 'socket.io';
import type { SmsSender } from '../alerts/sms-sender.ts';
import type { CallService } from '../calls/call-service.ts';
import type { Services } from '../services.ts';
import { Metrics } from './metrics.ts';
import { timeRedisCommands } from './redis-latency.ts';

/** The process's metrics, fed by the parts that count or time something as it happens. */
export function observe(s: Pick<Services, 'media' | 'redis' | 'webhooks'>, io: SocketServer, calls: CallService, sms: SmsSender | null): Metrics {
  const metrics = new Metrics(s, io);
  timeRedisCommands(s.redis, metrics.redisCommandSeconds);
  calls.joins.on('visitor-joined', (ms) => metrics.admitToCallSeconds.observe(ms / 1000));
  s.webhooks.outbox.attempts.on('attempt', (outcome) => metrics.webhookAttempts.inc({ outcome }));
  sms?.outcomes.on('sent', () => metrics.smsMessages.inc({ outcome: 'sent' }));
  sms?.outcomes.on('failed', () => metrics.smsMessages.inc({ outcome: 'failed' }));
  return metrics;
}
