export interface TranscriptEntry {
  role: 'user' | 'agent';
  text: string;
  /** Milliseconds since the call started. */
  atMs: number;
  /** Set when the caller interrupted and the text was cut to what was actually said. */
  interrupted?: boolean;
  /** For an interrupted agent turn: how much of its audio the caller heard. */
  heardMs?: number;
}

/** The call's transcript, kept from the agent's own events (user_transcript, agent_response, corrections). */
export class Transcript {
  private readonly entries: TranscriptEntry[] = [];
  private readonly listeners = new Set<() => void>();

  constructor(private readonly startedAt: number, private readonly now: () => number = Date.now) {}

  /** Called after every change (live transcript in the dashboard); returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  add(role: TranscriptEntry['role'], text: string): void {
    this.entries.push({ role, text, atMs: this.now() - this.startedAt });
    this.changed();
  }

  /** `agent_response_correction`: replace the interrupted response with what the caller really heard. */
  correct(original: string, corrected: string): void {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i]!;
      if (e.role === 'agent' && (e.text === original || i === this.lastAgentIndex())) {
        e.text = corrected;
        e.interrupted = true;
        return this.changed();
      }
    }
    // No matching turn (e.g. the response event was never sent): keep the correction anyway.
    this.entries.push({ role: 'agent', text: corrected, atMs: this.now() - this.startedAt, interrupted: true });
    this.changed();
  }

  /**
   * Barge-in: the caller heard only `heardMs` of the last agent turn's audio
   * (`totalMs` queued). Until the agent's own correction arrives, cut the text
   * in proportion, at a word boundary.
   */
  interruptLastAgent(heardMs: number, totalMs: number): void {
    const e = this.entries[this.lastAgentIndex()];
    if (!e || e.interrupted || totalMs <= 0 || heardMs >= totalMs) return;
    const words = e.text.split(/\s+/).filter(Boolean);
    const kept = Math.floor((words.length * heardMs) / totalMs);
    e.text = words.slice(0, kept).join(' ');
    e.interrupted = true;
    e.heardMs = Math.round(heardMs);
    this.changed();
  }

  toJSON(): TranscriptEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  private lastAgentIndex(): number {
    for (let i = this.entries.length - 1; i >= 0; i--) if (this.entries[i]!.role === 'agent') return i;
    return -1;
  }
}
