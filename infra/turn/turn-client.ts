import { createHash, createHmac, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import tls from 'node:tls';

/*
 * Just enough of STUN/TURN (RFC 8489, RFC 8656) over UDP to ask a real TURN server for a relay and for a
 * permission to a peer, so tests can see what coturn accepts and refuses without a browser.
 */

const MAGIC = 0x2112a442;
const ATTR = { USERNAME: 0x0006, MESSAGE_INTEGRITY: 0x0008, ERROR_CODE: 0x0009, XOR_PEER_ADDRESS: 0x0012, REALM: 0x0014, NONCE: 0x0015, REQUESTED_TRANSPORT: 0x0019 };
const METHOD = { BINDING: 0x0001, ALLOCATE: 0x0003, CREATE_PERMISSION: 0x0008 };

export interface TurnAnswer {
  /** 'success', or the STUN error code (401 unauthorized, 403 forbidden, ...). */
  result: 'success' | number;
}

interface Parsed {
  cls: 'success' | 'error' | 'other';
  txId: Buffer;
  attrs: Map<number, Buffer>;
}

function attribute(type: number, value: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt16BE(type, 0);
  header.writeUInt16BE(value.length, 2);
  const pad = Buffer.alloc((4 - (value.length % 4)) % 4);
  return Buffer.concat([header, value, pad]);
}

function message(method: number, attrs: Buffer[], integrityKey?: Buffer): { bytes: Buffer; txId: Buffer } {
  const txId = randomBytes(12);
  const body = Buffer.concat(attrs);
  const header = Buffer.alloc(20);
  header.writeUInt16BE(method, 0);
  header.writeUInt32BE(MAGIC, 4);
  txId.copy(header, 8);
  if (!integrityKey) {
    header.writeUInt16BE(body.length, 2);
    return { bytes: Buffer.concat([header, body]), txId };
  }
  // The HMAC covers the message with its length already counting the integrity attribute (24 bytes).
  header.writeUInt16BE(body.length + 24, 2);
  const mac = createHmac('sha1', integrityKey).update(Buffer.concat([header, body])).digest();
  return { bytes: Buffer.concat([header, body, attribute(ATTR.MESSAGE_INTEGRITY, mac)]), txId };
}

function parse(buf: Buffer): Parsed | null {
  if (buf.length < 20 || buf.readUInt32BE(4) !== MAGIC) return null;
  const type = buf.readUInt16BE(0);
  const clsBits = ((type >> 4) & 1) | ((type >> 7) & 2);
  const attrs = new Map<number, Buffer>();
  for (let at = 20; at + 4 <= buf.length; ) {
    const t = buf.readUInt16BE(at);
    const len = buf.readUInt16BE(at + 2);
    attrs.set(t, buf.subarray(at + 4, at + 4 + len));
    at += 4 + len + ((4 - (len % 4)) % 4);
  }
  return { cls: clsBits === 2 ? 'success' : clsBits === 3 ? 'error' : 'other', txId: buf.subarray(8, 20), attrs };
}

function errorCode(p: Parsed): number {
  const v = p.attrs.get(ATTR.ERROR_CODE);
  return v && v.length >= 4 ? (v[2]! & 7) * 100 + v[3]! : 0;
}

function xorPeerAddress(ip: string, port: number): Buffer {
  const v = Buffer.alloc(8);
  v[1] = 0x01;
  v.writeUInt16BE(port ^ (MAGIC >>> 16), 2);
  const addr = ip.split('.').reduce((n, octet) => (n << 8) | Number(octet), 0) >>> 0;
  v.writeUInt32BE((addr ^ MAGIC) >>> 0, 4);
  return v;
}

/** STUN messages over TLS (`turns:`): a stream, so each message is cut out by the length in its header. */
class TlsChannel extends EventEmitter<{ message: [Buffer] }> {
  private readonly stream: tls.TLSSocket;
  private pending = Buffer.alloc(0);

  constructor(host: string, port: number, ca: string) {
    super();
    this.stream = tls.connect({ host, port, ca });
    this.stream.on('error', () => undefined); // shows as no answer
    this.stream.on('data', (chunk: Buffer) => {
      this.pending = Buffer.concat([this.pending, chunk]);
      while (this.pending.length >= 20 && this.pending.length >= 20 + this.pending.readUInt16BE(2)) {
        const size = 20 + this.pending.readUInt16BE(2);
        this.emit('message', this.pending.subarray(0, size));
        this.pending = this.pending.subarray(size);
      }
    });
  }

  send(bytes: Buffer): void {
    this.stream.write(bytes);
  }

  close(): void {
    this.stream.destroy();
  }
}

/**
 * One conversation with a TURN server, as one client (one allocation at most): over UDP, or over TLS
 * (`turns:`) when given the certificate authority to check the server's certificate against.
 */
export class TurnClient {
  private readonly socket: dgram.Socket | TlsChannel;
  private realm?: Buffer;
  private nonce?: Buffer;
  private key?: Buffer;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly username: string,
    private readonly password: string,
    overTls?: { ca: string },
  ) {
    this.socket = overTls ? new TlsChannel(host, port, overTls.ca) : dgram.createSocket('udp4');
  }

  private send(bytes: Buffer, txId: Buffer, timeoutMs = 2000): Promise<Parsed> {
    return new Promise((resolve, reject) => {
      const onMessage = (buf: Buffer) => {
        const p = parse(buf);
        if (!p || !p.txId.equals(txId)) return;
        clearTimeout(timer);
        this.socket.off('message', onMessage);
        resolve(p);
      };
      const timer = setTimeout(() => {
        this.socket.off('message', onMessage);
        reject(new Error('no answer from the TURN server'));
      }, timeoutMs);
      this.socket.on('message', onMessage);
      if (this.socket instanceof TlsChannel) this.socket.send(bytes);
      else this.socket.send(bytes, this.port, this.host);
    });
  }

  /** A STUN binding request: answered by any running STUN/TURN server, without credentials. */
  async ping(timeoutMs = 300): Promise<boolean> {
    const { bytes, txId } = message(METHOD.BINDING, []);
    return this.send(bytes, txId, timeoutMs).then((p) => p.cls === 'success', () => false);
  }

  /** A request under the long-term credential; the first one learns the realm and nonce from the 401. */
  private async authenticated(method: number, attrs: Buffer[]): Promise<TurnAnswer> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const auth = this.realm && this.nonce
        ? [attribute(ATTR.USERNAME, Buffer.from(this.username)), attribute(ATTR.REALM, this.realm), attribute(ATTR.NONCE, this.nonce)]
        : [];
      const { bytes, txId } = message(method, [...attrs, ...auth], auth.length ? this.key : undefined);
      const answer = await this.send(bytes, txId);
      if (answer.cls === 'success') return { result: 'success' };
      const code = errorCode(answer);
      // 401 to the bare request and 438 (stale nonce) carry what the next try needs; a 401 to a signed one is final.
      if ((code === 401 && auth.length === 0) || code === 438) {
        this.realm = answer.attrs.get(ATTR.REALM) ?? this.realm;
        this.nonce = answer.attrs.get(ATTR.NONCE);
        this.key = createHash('md5').update(`${this.username}:${this.realm}:${this.password}`).digest();
        continue;
      }
      return { result: code };
    }
    return { result: 401 };
  }

  /** A UDP relay for this client. */
  allocate(): Promise<TurnAnswer> {
    return this.authenticated(METHOD.ALLOCATE, [attribute(ATTR.REQUESTED_TRANSPORT, Buffer.from([17, 0, 0, 0]))]);
  }

  /** Leave to relay to and from `ip` (needs an allocation). */
  createPermission(ip: string, port = 9): Promise<TurnAnswer> {
    return this.authenticated(METHOD.CREATE_PERMISSION, [attribute(ATTR.XOR_PEER_ADDRESS, xorPeerAddress(ip, port))]);
  }

  close(): void {
    this.socket.close();
  }
}
