/**
 * Server pings and the client's pongs (§4.3: the client must answer each
 * `ping_event.event_id` with `{type:'pong', event_id}` at once).
 */
export interface PingRecord {
  eventId: number;
  sentAt: number;
}

export interface PongRecord {
  eventId: number;
  at: number;
  /** True when the id belongs to a ping we sent that had no pong yet. */
  matched: boolean;
  rttMs?: number;
}

export class PingTracker {
  readonly pings: PingRecord[] = [];
  readonly pongs: PongRecord[] = [];
  private readonly outstanding = new Map<number, number>();
  /** Last measured round trip, reported as `ping_ms` like the real service. */
  lastRttMs: number | null = null;

  sent(eventId: number, at: number): void {
    this.pings.push({ eventId, sentAt: at });
    this.outstanding.set(eventId, at);
  }

  received(eventId: number, at: number): PongRecord {
    const sentAt = this.outstanding.get(eventId);
    this.outstanding.delete(eventId);
    const pong: PongRecord = { eventId, at, matched: sentAt !== undefined };
    if (sentAt !== undefined) this.lastRttMs = pong.rttMs = at - sentAt;
    this.pongs.push(pong);
    return pong;
  }
}
