import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { InviteMiddleware } from '../../sip/signaling/inbound-chain.js';
import { sipHostFor, type DrachtioConnection } from '../../sip/signaling/drachtio-connection.js';
import { TrunkRegistration, type RegistrationStatus } from '../../sip/signaling/registration.js';
import type { TrunkConfig } from '../../sip/signaling/trunks.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';

/**
 * The trunks the bridge registers with (SIP_CONFIG_FILE `register`): one
 * REGISTER client each, started once drachtio-server is connected (and again
 * after a reconnect), unregistered on shutdown. Status goes to logs, metrics
 * and /readyz; inbound INVITEs to a registered contact are matched to their
 * trunk by `identifyRegisteredContact`.
 */
export class SipRegistrations {
  private readonly regs: Array<{ trunk: TrunkConfig; reg: TrunkRegistration; registrarIps: Set<string> }> = [];

  constructor(private readonly connection: DrachtioConnection, trunks: readonly TrunkConfig[],
    private readonly deps: { log: Logger; metrics: Metrics; publicAddress: string }) {
    for (const trunk of trunks) {
      if (!trunk.register) continue;
      const out = trunk.outbound;
      const transport = trunk.register.transport ?? out?.transport ?? 'udp';
      const reg = new TrunkRegistration(connection.srf, {
        trunkId: trunk.id, config: trunk.register, defaultTransport: out?.transport,
        defaultRegistrar: out ? `${out.host}${out.port ? `:${out.port}` : ''}` : undefined,
        contactHost: () => sipHostFor(connection.sipAddress, transport) ?? deps.publicAddress,
      });
      reg.on('state', (s) => this.report(s));
      deps.metrics.sipRegistrationUp.set({ trunk: trunk.id }, 0);
      this.regs.push({ trunk, reg, registrarIps: new Set() });
    }
  }

  get size(): number {
    return this.regs.length;
  }

  /** Register now and whenever drachtio-server (re)connects. */
  start(): void {
    if (this.regs.length === 0) return;
    this.connection.on('ready', this.onReady);
    if (this.connection.ready) this.onReady();
  }

  async stop(): Promise<void> {
    this.connection.off('ready', this.onReady);
    await Promise.all(this.regs.map(({ reg }) => reg.stop()));
  }

  get statuses(): RegistrationStatus[] {
    return this.regs.map(({ reg }) => reg.snapshot);
  }

  get allRegistered(): boolean {
    return this.regs.every(({ reg }) => reg.snapshot.state === 'registered');
  }

  /**
   * An INVITE whose Request-URI user is a registered trunk's contact user, from
   * that trunk's registrar (or its inbound allowlist), belongs to that trunk:
   * the PBX is delivering a call to the extension we registered.
   */
  identifyRegisteredContact(): InviteMiddleware {
    return (ctx) => {
      const user = /^sips?:([^@;]+)@/.exec(ctx.req.uri)?.[1];
      const match = this.regs.find(({ reg }) => reg.contactUser === user);
      if (!match) return;
      // Anyone else using the contact user meets the ordinary trunk checks (allowlist, digest).
      if (!match || !match.registrarIps.has(ctx.req.source_address.replace(/^::ffff:/, ''))) return;
      ctx.candidates = [match.trunk];
      ctx.trunk = match.trunk;
      // The Request-URI names our contact; the number dialled is in To (routes.byNumber), else byTrunk applies.
      ctx.calledNumber = ctx.to.user ?? ctx.calledNumber;
    };
  }

  private readonly onReady = (): void => {
    for (const entry of this.regs) {
      void this.resolveRegistrar(entry);
      entry.reg.start();
    }
  };

  /** The registrar's addresses, to recognise its INVITEs (a literal IP, or the DNS name's A/AAAA records). */
  private async resolveRegistrar(entry: SipRegistrations['regs'][number]): Promise<void> {
    const host = entry.reg.registrarHost;
    if (isIP(host)) { entry.registrarIps.add(host); return; }
    try {
      for (const a of await lookup(host, { all: true })) entry.registrarIps.add(a.address);
    } catch (err) {
      this.deps.log.warn({ trunk: entry.trunk.id, host, err: (err as Error).message }, 'could not resolve the registrar');
    }
  }

  private report(s: RegistrationStatus): void {
    const { log, metrics } = this.deps;
    metrics.sipRegistrationUp.set({ trunk: s.trunkId }, s.state === 'registered' ? 1 : 0);
    const fields = { trunk: s.trunkId, aor: s.aor, state: s.state, expiresAt: s.expiresAt, failures: s.consecutiveFailures };
    if (s.lastError && s.state !== 'unregistered') {
      metrics.sipRegistrationFailures.inc({ trunk: s.trunkId });
      log.warn({ ...fields, error: s.lastError }, 'SIP registration failed; retrying with back-off');
    } else {
      log.info(fields, `SIP registration ${s.state}`);
    }
  }
}
