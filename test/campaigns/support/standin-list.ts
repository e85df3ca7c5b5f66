import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CallStatus } from '../../../src/store/schema.js';
import type { TwilioStandin } from '../../../tools/twilio-standin/index.js';
import type { CallsTo } from './standin-dialer.js';

/** In-process: the stand-in's own call table, filtered like `calls.list({ to, startTimeAfter })`. */
export function callsToIn(standin: TwilioStandin): CallsTo {
  return async (to, sinceMs) =>
    [...standin.calls.values()]
      .filter((c) => c.direction === 'outbound-api' && c.to === to && c.dateCreated.getTime() >= sinceMs)
      .map((c) => ({ sid: c.sid, status: c.status as CallStatus, answeredBy: c.answeredBy, createdMs: c.dateCreated.getTime() }));
}

/**
 * For child processes: the same listing over HTTP (`GET /calls?to=&since=`).
 * The stand-in's REST API has no list endpoint yet; this stands in for it.
 */
export async function serveCallsTo(standin: TwilioStandin): Promise<{ url: string; close(): Promise<void> }> {
  const list = callsToIn(standin);
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://list');
    void list(u.searchParams.get('to') ?? '', Number(u.searchParams.get('since') ?? 0)).then((calls) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(calls)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

export function callsToOver(url: string): CallsTo {
  return async (to, sinceMs) => (await fetch(`${url}/calls?${new URLSearchParams({ to, since: String(sinceMs) })}`)).json() as ReturnType<CallsTo>;
}
