import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { DigestVerifier } from '../../sip/signaling/digest.js';
import { placeSipCall } from '../../sip/signaling/outbound-call.js';
import { FakeSrf } from './fake-srf.js';

/**
 * Outbound through a proxy that challenges with 407 (RFC 3261 §22.3). The
 * bridge hands the trunk's credentials and proxy to drachtio-srf's createUAC;
 * the library's own digest client answers the challenge. Here that real
 * client (not ours) answers a 407 shaped as drachtio delivers it, and our
 * independent server-side verifier checks the Proxy-Authorization it sends.
 */

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const DigestClient = require('drachtio-srf/lib/digest-client.js') as new (res: unknown) => { authenticate(cb: (err: unknown, req: unknown) => void): void };

function challengeResponse(status: 401 | 407, challenge: string, sent: Array<Record<string, unknown>>) {
  const headers = new Map([[status === 407 ? 'proxy-authenticate' : 'www-authenticate', challenge]]);
  const uri = 'sip:+15557654321@carrier.example.com';
  const options: Record<string, unknown> = { method: 'INVITE', uri, auth: { username: 'acct-7', password: 's3cret' }, headers: {} };
  return {
    uri,
    res: {
      statusCode: status, source_address: '198.51.100.20', source_port: 5060, socket: {},
      has: (n: string) => headers.has(n.toLowerCase()), get: (n: string) => headers.get(n.toLowerCase()),
      agent: { request: (opts: Record<string, unknown>, cb: (err: unknown, req: unknown) => void) => { sent.push(opts); cb(null, {}); } },
      req: {
        method: 'INVITE', _originalParams: { options },
        getParsedHeader: () => ({ seq: 1 }),
        get: (n: string) => (n.toLowerCase() === 'call-id' ? 'abc@bridge' : '<sip:+15550001000@bridge>;tag=t1'),
      },
    },
  };
}

describe('outbound 407 Proxy-Authenticate', () => {
  it("drachtio-srf's client answers a 407 with Proxy-Authorization our verifier accepts (and a 401 with Authorization)", async () => {
    for (const status of [407, 401] as const) {
      const verifier = new DigestVerifier({ realm: 'proxy.example.com' });
      const sent: Array<Record<string, unknown>> = [];
      const { res } = challengeResponse(status, verifier.challenge(), sent);
      await new Promise<void>((resolve, reject) => new DigestClient(res).authenticate((err) => (err ? reject(err) : resolve())));
      const headers = sent[0]!.headers as Record<string, string>;
      const name = status === 407 ? 'Proxy-Authorization' : 'Authorization';
      expect(Object.keys(headers)).toContain(name);
      expect(headers.CSeq).toBe('2 INVITE');
      expect(verifier.verify(headers[name], 'INVITE', (u) => (u === 'acct-7' ? 's3cret' : undefined))).toEqual({ ok: true, username: 'acct-7' });
      expect(verifier.verify(headers[name], 'INVITE', () => 'wrong')).toMatchObject({ ok: false, why: 'bad response' });
    }
  });

  it('placeSipCall gives createUAC the trunk credentials and its outbound proxy', async () => {
    const srf = new FakeSrf();
    srf.onUac = (uac) => uac.reject(486, 'Busy Here');
    const result = await placeSipCall(srf, {
      host: 'carrier.example.com', proxy: 'sip:sbc.example.com:5060', credentials: { username: 'acct-7', password: 's3cret' },
    }, '+15557654321', { localSdp: 'v=0\r\n' });
    expect(result).toMatchObject({ ok: false, outcome: 'busy' });
    expect(srf.uacs[0]!.opts).toMatchObject({ proxy: 'sip:sbc.example.com:5060', auth: { username: 'acct-7', password: 's3cret' } });
  });
});
