/**
 * Binds the UDP sockets of one RTP session: RTP on an even port and RTCP on
 * the next one (RFC 3550 §11), or RTP alone with rtcp-mux (RFC 5761). Ports
 * come from a PortAllocator (busy ones skipped), a fixed port, or the OS
 * (port 0, retried until it gives an even port whose neighbour is free).
 */
import { createSocket, type Socket } from 'node:dgram';
import type { PortAllocator } from './port-allocator.js';

export interface BoundPair {
  port: number;
  rtp: Socket;
  rtcp: Socket | undefined;
}

export interface BindOptions {
  address: string;
  port?: number;
  allocator?: PortAllocator;
  rtcpMux: boolean;
}

const MAX_ATTEMPTS = 64;

function bindOne(address: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket({ type: address.includes(':') ? 'udp6' : 'udp4' });
    const fail = (err: Error): void => {
      s.close();
      reject(err);
    };
    s.once('error', fail);
    s.bind(port, address, () => {
      s.off('error', fail);
      resolve(s);
    });
  });
}

export function closeSocket(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      s.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}

async function tryPair(address: string, port: number, rtcpMux: boolean): Promise<BoundPair | undefined> {
  let rtp: Socket;
  try {
    rtp = await bindOne(address, port);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') return undefined;
    throw err;
  }
  const actual = rtp.address().port;
  if (rtcpMux) return { port: actual, rtp, rtcp: undefined };
  if (actual % 2 === 0) {
    try {
      return { port: actual, rtp, rtcp: await bindOne(address, actual + 1) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
        await closeSocket(rtp);
        throw err;
      }
    }
  }
  await closeSocket(rtp);
  return undefined;
}

export async function bindPair(o: BindOptions): Promise<BoundPair> {
  for (let i = 0; i < MAX_ATTEMPTS; i++) {
    const port = o.allocator ? o.allocator.reserve() : (o.port ?? 0);
    if (port === undefined) throw new Error('RTP port range exhausted');
    let pair: BoundPair | undefined;
    try {
      pair = await tryPair(o.address, port, o.rtcpMux);
    } catch (err) {
      o.allocator?.release(port);
      throw err;
    }
    if (pair) return pair;
    o.allocator?.release(port); // busy outside our bookkeeping: the cursor moves on
    if (!o.allocator && o.port) throw new Error(`RTP port ${o.port} (or its RTCP port) is in use`);
  }
  throw new Error(`no free RTP port pair after ${MAX_ATTEMPTS} attempts`);
}
