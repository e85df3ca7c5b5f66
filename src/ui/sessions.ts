import { randomBytes } from 'node:crypto';

export interface Session {
  readonly id: string;
  readonly createdAt: number;
  expiresAt: number;
}

/**
 * Dashboard sign-ins, kept in memory on this instance: the cookie carries only
 * a random 256-bit id (unguessable, so it needs no signature), and the session
 * itself never leaves the server, so logout and expiry take effect at once.
 * Sliding expiry: each use extends the session by `ttlMs`.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    /** Bound on live sessions; the oldest is dropped beyond it (a flood of logins cannot grow memory). */
    private readonly maxSessions = 1000,
  ) {}

  create(): Session {
    this.sweep();
    if (this.sessions.size >= this.maxSessions) this.sessions.delete(this.sessions.keys().next().value!);
    const at = this.now();
    const session: Session = { id: randomBytes(32).toString('base64url'), createdAt: at, expiresAt: at + this.ttlMs };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id (extended), or undefined. */
  touch(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    const at = this.now();
    if (s.expiresAt <= at) {
      this.sessions.delete(id);
      return undefined;
    }
    s.expiresAt = at + this.ttlMs;
    return s;
  }

  delete(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  private sweep(): void {
    const at = this.now();
    for (const [id, s] of this.sessions) if (s.expiresAt <= at) this.sessions.delete(id);
  }
}
