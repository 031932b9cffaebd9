import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '../test-support/redis-server.ts';
import { connectRedis } from './connection.ts';

/** A script that holds Redis for `ms` (a batch that waits for its answer that long). */
const HOLD = `local t = redis.call('TIME') local start = t[1] * 1000000 + t[2]
while true do local n = redis.call('TIME') if n[1] * 1000000 + n[2] - start > tonumber(ARGV[1]) * 1000 then break end end
return 1`;

describe('the Redis connection (real redis-server)', function () {
  this.timeout(20_000);
  let redis: TestRedis;
  let client: Redis;
  before(async () => {
    redis = await startRedis();
    client = connectRedis(redis.url);
    await client.ping(); // connected: nothing waits in the queue of a connection not yet ready
  });
  after(async () => {
    client?.disconnect();
    await redis?.stop();
  });

  it('sends a batch of commands while the batch before it still waits for its answer', async () => {
    const order: string[] = [];
    const connection = client as unknown as { sendCommand: (cmd: { name: string }, stream?: object) => unknown };
    const send = connection.sendCommand;
    connection.sendCommand = function (cmd, stream) {
      order.push(`sent ${cmd.name}`);
      return send.call(this, cmd, stream);
    };
    // Bytes of an answer reaching the connection, before ioredis hands them to anyone.
    const stream = (client as unknown as { stream: NodeJS.EventEmitter }).stream;
    const onData = () => order.push('answer arrives');
    stream.prependListener('data', onData);
    try {
      const held = client.eval(HOLD, 0, '300').then(() => order.push('answered eval'));
      // The eval's batch leaves at the end of this turn; the get is issued in a later turn.
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      const read = client.get('nothing-here').then(() => order.push('answered get'));
      await Promise.all([held, read]);
      // Both went out before the first answer (the eval's) came back.
      expect(order.slice(0, 3)).to.deep.equal(['sent eval', 'sent get', 'answer arrives']);
      expect(order.filter((e) => e.startsWith('answered'))).to.deep.equal(['answered eval', 'answered get']);
    } finally {
      stream.off('data', onData);
      connection.sendCommand = send;
    }
  });

  it('still gathers the commands of one turn into one write', async () => {
    const streams: (object | undefined)[] = [];
    const connection = client as unknown as { sendCommand: (cmd: { name: string }, stream?: object) => unknown };
    const send = connection.sendCommand;
    connection.sendCommand = function (cmd, stream) {
      streams.push(stream);
      return send.call(this, cmd, stream);
    };
    try {
      await Promise.all([client.get('a'), client.hgetall('b'), client.smembers('c')]);
      expect(streams).to.have.length(3);
      expect(streams[0]).to.be.an('object');
      expect(new Set(streams).size).to.equal(1);
    } finally {
      connection.sendCommand = send;
    }
  });
});
