/**
 * Opens the TCP (and TLS) connection for the agent's WebSocket while the
 * signed URL is still being fetched, instead of after it: the two requests
 * then overlap and the conversation's upgrade goes out on a connection that
 * is already set up (2 round trips saved from the caller's first words when
 * TCP + TLS take longer than the signed-URL request). Nothing is sent on the
 * connection until the upgrade itself: no conversation exists before that.
 */
import net from 'node:net';
import tls from 'node:tls';

export interface Preconnected {
  /** The connection, for `ws`'s `createConnection`, if `url` is for the host it went to; else undefined (and it is closed). */
  socketFor(url: string): net.Socket | undefined;
  /** Not used after all: close it. */
  discard(): void;
}

/** Starts connecting to the host of `apiUrl` (http -> ws, https -> wss, same host and port). */
export function preconnect(apiUrl: string): Preconnected {
  const target = endpoint(apiUrl);
  const socket = target.secure
    ? tls.connect({ host: target.host, port: target.port, servername: net.isIP(target.host) ? undefined : target.host, ALPNProtocols: ['http/1.1'] })
    : net.connect({ host: target.host, port: target.port });
  // Until ws takes it over, a failed connect must not surface as an unhandled 'error' event.
  const ignore = (): void => undefined;
  socket.on('error', ignore);
  let taken = false;
  return {
    socketFor(url: string): net.Socket | undefined {
      const want = endpoint(url);
      if (taken || socket.destroyed || want.host !== target.host || want.port !== target.port || want.secure !== target.secure) {
        this.discard();
        return undefined;
      }
      taken = true;
      socket.off('error', ignore);
      return socket;
    },
    discard(): void {
      if (!taken) socket.destroy();
      taken = true;
    },
  };
}

function endpoint(url: string): { host: string; port: number; secure: boolean } {
  const u = new URL(url);
  const secure = u.protocol === 'https:' || u.protocol === 'wss:';
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(u.port) || (secure ? 443 : 80), secure };
}
