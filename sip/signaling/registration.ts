import { EventEmitter } from 'node:events';
import type { SrfLike, SipResponseLike } from './srf-types.js';
import type { SipTransport } from './trunks.js';

/**
 * A REGISTER client for one trunk (RFC 3261 §10.2): binds our Contact to the
 * trunk's address of record, with digest authentication done by drachtio-srf
 * on 401/407 (§22.2), refreshes before the binding expires, backs off on
 * failure, and removes the binding (Expires: 0, §10.2.2) on stop.
 */

export interface RegistrationConfig {
  username: string;
  password: string;
  authUsername?: string;
  domain?: string;
  /** `host[:port]` of the registrar. */
  registrar?: string;
  transport?: SipTransport;
  /** Requested lifetime, seconds. */
  expires: number;
  contactUser?: string;
}

export type RegistrationState = 'idle' | 'registering' | 'registered' | 'failed' | 'unregistered';

export interface RegistrationStatus {
  trunkId: string;
  state: RegistrationState;
  aor: string;
  /** Epoch ms the binding runs out (registered only). */
  expiresAt?: number;
  /** Last failure: SIP status + reason, or the error text. */
  lastError?: string;
  consecutiveFailures: number;
}

export interface RegistrationEvents {
  state: [status: RegistrationStatus];
}

export interface RegistrationOptions {
  trunkId: string;
  config: RegistrationConfig;
  /** Fallback registrar when `config.registrar` is unset (the trunk's outbound host[:port]). */
  defaultRegistrar?: string;
  defaultTransport?: SipTransport;
  /** Host[:port] written in our Contact: drachtio's SIP address. */
  contactHost: () => string;
  /** Back-off after a failure: 5 s doubling up to this (default 300 s). */
  maxBackoffMs?: number;
  /** Shutdown waits this long for the unregister's answer (default 3 s), so a dead registrar cannot hold it up. */
  unregisterTimeoutMs?: number;
  now?: () => number;
}

const MIN_BACKOFF_MS = 5_000;

/** Refresh ahead of expiry: half-way for short bindings, else one minute early. */
export function refreshDelayMs(expiresSec: number): number {
  return (expiresSec - Math.min(60, expiresSec / 2)) * 1000;
}

/** Granted lifetime from a 2xx (RFC 3261 §10.2.4): our Contact's `expires`, else `Expires`, else what we asked. */
export function grantedExpires(res: SipResponseLike, contactUser: string, requested: number): number {
  const contacts = (res.get('Contact') ?? '').split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/);
  const ours = contacts.find((c) => c.includes(`sip:${contactUser}@`) || c.includes(`sips:${contactUser}@`));
  const fromContact = ours ? /;\s*expires=(\d+)/i.exec(ours)?.[1] : undefined;
  const value = Number(fromContact ?? res.get('Expires') ?? requested);
  return Number.isFinite(value) && value > 0 ? value : requested;
}

export class TrunkRegistration extends EventEmitter<RegistrationEvents> {
  private status: RegistrationStatus;
  private timer: NodeJS.Timeout | undefined;
  private expires: number;
  private stopped = false;
  private inFlight: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly srf: SrfLike, private readonly opts: RegistrationOptions) {
    super();
    this.now = opts.now ?? Date.now;
    this.expires = opts.config.expires;
    this.status = { trunkId: opts.trunkId, state: 'idle', aor: this.aor, consecutiveFailures: 0 };
  }

  /** The status now: a binding whose expiry passed without a successful refresh is down. */
  get snapshot(): RegistrationStatus {
    const s = this.status;
    if (s.state === 'registered' && (s.expiresAt ?? 0) <= this.now()) {
      return { ...s, state: 'failed', expiresAt: undefined, lastError: s.lastError ?? 'binding expired' };
    }
    return { ...s };
  }

  get contactUser(): string {
    return this.opts.config.contactUser ?? this.opts.config.username;
  }

  /** The registrar's host (for matching inbound calls to our contact). */
  get registrarHost(): string {
    return this.registrar.replace(/^\[/, '').replace(/\](:\d+)?$/, '').replace(/:\d+$/, '');
  }

  private get registrar(): string {
    return this.opts.config.registrar ?? this.opts.defaultRegistrar ?? '';
  }

  private get transport(): SipTransport {
    return this.opts.config.transport ?? this.opts.defaultTransport ?? 'udp';
  }

  private get scheme(): string {
    return this.transport === 'tls' ? 'sips' : 'sip';
  }

  private get aor(): string {
    const domain = this.opts.config.domain ?? this.registrarHost;
    return `${this.scheme}:${this.opts.config.username}@${domain}`;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Unregister (Expires: 0) if a binding may exist, then stay idle. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight?.catch(() => undefined);
    if (this.status.state !== 'registered') return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no answer')), this.opts.unregisterTimeoutMs ?? 3_000);
    });
    await Promise.race([this.send(0), timeout]).finally(() => clearTimeout(timer)).then(() => this.set({ state: 'unregistered', expiresAt: undefined }))
      .catch((err: Error) => this.set({ state: 'unregistered', lastError: `unregister: ${err.message}` }));
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => { this.inFlight = this.register(); }, ms);
    this.timer.unref?.();
  }

  private async register(): Promise<void> {
    if (this.stopped) return;
    if (this.status.state !== 'registered') this.set({ state: 'registering' });
    try {
      const res = await this.send(this.expires);
      if (this.stopped) return;
      if (res.status >= 200 && res.status < 300) return this.registered(res);
      // 423 Interval Too Brief (§10.3 step 7): ask again with the registrar's minimum.
      const minExpires = Number(res.get('Min-Expires'));
      if (res.status === 423 && Number.isFinite(minExpires) && minExpires > this.expires) {
        this.expires = minExpires;
        return this.schedule(0);
      }
      this.failed(`${res.status} ${res.reason}`.trim());
    } catch (err) {
      this.failed(err instanceof Error ? err.message : String(err));
    }
  }

  private registered(res: SipResponseLike): void {
    const granted = grantedExpires(res, this.contactUser, this.expires);
    this.set({ state: 'registered', expiresAt: this.now() + granted * 1000, lastError: undefined, consecutiveFailures: 0 });
    this.schedule(refreshDelayMs(granted));
  }

  private failed(why: string): void {
    const failures = this.status.consecutiveFailures + 1;
    // Still bound until it expires; after that, or when never bound, we are down.
    const stillBound = this.status.state === 'registered' && (this.status.expiresAt ?? 0) > this.now();
    this.set({ state: stillBound ? 'registered' : 'failed', lastError: why, consecutiveFailures: failures });
    // Never sooner than the back-off: a registrar that refuses must not be hammered, bound or not.
    this.schedule(Math.min(MIN_BACKOFF_MS * 2 ** (failures - 1), this.opts.maxBackoffMs ?? 300_000));
  }

  private send(expires: number): Promise<SipResponseLike> {
    const { config } = this.opts;
    const transport = this.transport === 'udp' ? '' : `;transport=${this.transport}`;
    const contact = `<${this.scheme}:${this.contactUser}@${this.opts.contactHost()}${transport}>;expires=${expires}`;
    return this.srf.request(`${this.scheme}:${this.registrar}${transport}`, {
      method: 'REGISTER',
      headers: { From: `<${this.aor}>`, To: `<${this.aor}>`, Contact: contact, Expires: String(expires) },
      auth: { username: config.authUsername ?? config.username, password: config.password },
    });
  }

  private set(patch: Partial<RegistrationStatus>): void {
    const prev = this.status.state;
    this.status = { ...this.status, ...patch };
    if (patch.state !== undefined || prev !== this.status.state || patch.lastError !== undefined) this.emit('state', this.snapshot);
  }
}
