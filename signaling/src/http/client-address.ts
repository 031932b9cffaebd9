import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';
import type { Config } from '../config.ts';

/**
 * The client's address for a raw request (a socket handshake), by the same TRUST_PROXY rule Express
 * applies to HTTP requests, so a limit per address means the same address on both.
 */
export function clientAddressResolver(trustProxy: Config['trustProxy']): (req: IncomingMessage) => string {
  // (config refuses TRUST_PROXY=true: any client could then name its own address)
  const trust =
    typeof trustProxy === 'boolean' ? () => false : typeof trustProxy === 'number' ? (_addr: string, i: number) => i < trustProxy : proxyAddr.compile(trustProxy);
  return (req) => proxyAddr(req, trust);
}
