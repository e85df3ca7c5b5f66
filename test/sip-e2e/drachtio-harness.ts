import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DrachtioConnection } from '../../sip/signaling/drachtio-connection.js';

/**
 * A drachtio-server for the end-to-end tests, from (in order):
 *  - `DRACHTIO_HOST` [+ `DRACHTIO_PORT` (9022), `DRACHTIO_SECRET` (cymru)]: a running server;
 *  - `DRACHTIO_BIN`: a binary we start on loopback with a minimal config;
 *  - otherwise none: the suite skips with `reason`. This is the one skip
 *    allowed under CI=true (drachtio-server has no Debian or npm package), so
 *    unlike `haveTool` it never throws.
 */

export interface DrachtioTarget {
  connection: DrachtioConnection;
  /** SIP address sipp should send to, `127.0.0.1:port`. */
  sipHost: string;
  sipPort: number;
  stop(): Promise<void>;
}

export function drachtioUnavailableReason(): string | undefined {
  if (process.env.DRACHTIO_HOST) return undefined;
  const bin = process.env.DRACHTIO_BIN;
  if (!bin) return 'skipped: no drachtio-server (set DRACHTIO_BIN to a drachtio binary, or DRACHTIO_HOST/DRACHTIO_PORT/DRACHTIO_SECRET for a running one; see README "SIP tests")';
  if (spawnSync(bin, ['--version'], { stdio: 'ignore' }).status !== 0) return `skipped: DRACHTIO_BIN=${bin} does not run`;
  if (spawnSync('sh', ['-c', 'command -v sipp'], { stdio: 'ignore' }).status !== 0) return 'skipped: sipp not installed';
  return undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A TLS listener for drachtio (its `<tls>` block). sofia-sip will not start TLS without a CA list: the chain file (the self-signed cert itself if none). */
export interface DrachtioTls { port: number; keyFile: string; certFile: string; chainFile?: string }

function minimalConfig(adminPort: number, secret: string, sipPort: number, tls?: DrachtioTls): string {
  const tlsContact = tls ? `<contact>sips:127.0.0.1:${tls.port};transport=tls</contact>` : '';
  const tlsFiles = tls ? `<tls><key-file>${tls.keyFile}</key-file><cert-file>${tls.certFile}</cert-file><chain-file>${tls.chainFile ?? tls.certFile}</chain-file><min-tls-version>1.2</min-tls-version></tls>` : '';
  return `<drachtio>
  <admin port="${adminPort}" secret="${secret}">127.0.0.1</admin>
  <sip><contacts><contact>sip:127.0.0.1:${sipPort};transport=udp,tcp</contact>${tlsContact}</contacts>${tlsFiles}</sip>
  <logging><console/><loglevel>info</loglevel><sofia-loglevel>3</sofia-loglevel></logging>
</drachtio>
`;
}

export interface DrachtioProcess { child: ChildProcess; adminPort: number; sipPort: number; secret: string; log: string[] }

/** Start the `DRACHTIO_BIN` binary on loopback (given ports, e.g. to restart it where it was). */
export async function startBinary(bin: string, ports?: { adminPort: number; sipPort: number }, tls?: DrachtioTls): Promise<DrachtioProcess> {
  const adminPort = ports?.adminPort ?? await freePort();
  const sipPort = ports?.sipPort ?? await freePort();
  const secret = 'e2e-secret';
  const dir = mkdtempSync(join(tmpdir(), 'drachtio-'));
  const file = join(dir, 'drachtio.conf.xml');
  writeFileSync(file, minimalConfig(adminPort, secret, sipPort, tls));
  const child = spawn(bin, ['-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  child.stdout!.on('data', (b: Buffer) => log.push(b.toString()));
  child.stderr!.on('data', (b: Buffer) => log.push(b.toString()));
  return { child, adminPort, sipPort, secret, log };
}

export async function startDrachtio(): Promise<DrachtioTarget> {
  if (process.env.DRACHTIO_HOST) {
    const connection = new DrachtioConnection({
      host: process.env.DRACHTIO_HOST, port: Number(process.env.DRACHTIO_PORT ?? 9022),
      secret: process.env.DRACHTIO_SECRET ?? 'cymru', retryMaxDelayMs: 500,
    });
    connection.start();
    await connection.whenReady(10_000);
    const [host, port] = splitHostport(connection.sipAddress);
    return { connection, sipHost: host, sipPort: port, stop: async () => connection.stop() };
  }
  const server = await startBinary(process.env.DRACHTIO_BIN!);
  const connection = new DrachtioConnection({ host: '127.0.0.1', port: server.adminPort, secret: server.secret, retryMaxDelayMs: 200 });
  connection.start();
  try {
    await connection.whenReady(10_000);
  } catch (err) {
    server.child.kill('SIGTERM');
    throw new Error(`${(err as Error).message}\n${server.log.join('').slice(-2000)}`);
  }
  return {
    connection, sipHost: '127.0.0.1', sipPort: server.sipPort,
    stop: async () => {
      connection.stop();
      server.child.kill('SIGTERM');
      await new Promise((r) => server.child.once('exit', r));
    },
  };
}

/** `udp/127.0.0.1:5090` or `127.0.0.1:5090` → host, port. */
function splitHostport(hp: string): [string, number] {
  const m = /(\d+\.\d+\.\d+\.\d+):(\d+)/.exec(hp);
  return m ? [m[1]!, Number(m[2])] : ['127.0.0.1', 5060];
}
