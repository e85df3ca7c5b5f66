/**
 * The agent's voice: turns utterances into `agent_response` + `audio` events and
 * sends them in odd-sized chunks, faster than real time (see chunks.ts), one
 * utterance after another. `cancel()` stops mid-utterance, as on an interruption.
 */
import { planChunks, toneClip } from './chunks.js';
import { bytesToMs, encodeFromPcm, type FormatSpec } from './formats.js';
import { resampleClip } from './resample.js';
import type { TimerBag } from './timers.js';
import type { AgentSpeechOptions, Utterance } from './types.js';

export interface SpeakerPort {
  readonly format: FormatSpec;
  readonly timers: TimerBag;
  random(): number;
  sendAgentResponse(text: string): void;
  sendAudio(base64: string): void;
}

interface Job {
  text: string;
  chunks: Buffer[];
  next: number;
  resolve(done: boolean): void;
}

const DEFAULT_TONE_MS = 500;

export class Speaker {
  private readonly queue: Job[] = [];
  private current: Job | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly speed: number;

  constructor(
    private readonly port: SpeakerPort,
    private readonly options: AgentSpeechOptions = {},
  ) {
    this.speed = options.speed ?? 4;
  }

  get speaking(): boolean {
    return this.current !== undefined;
  }

  /** Queues an utterance; resolves true once all of it was sent, false if cancelled. */
  speak(utterance: Utterance): Promise<boolean> {
    return new Promise((resolve) => {
      this.queue.push({ text: utterance.text, chunks: this.encode(utterance), next: 0, resolve });
      if (!this.current) this.startNext();
    });
  }

  /** Stops speaking; returns the chunks of the current utterance that were not sent. */
  cancel(): Buffer[] {
    this.port.timers.cancel(this.timer);
    this.timer = undefined;
    const unsent = this.current ? this.current.chunks.slice(this.current.next) : [];
    for (const job of [this.current, ...this.queue.splice(0)]) job?.resolve(false);
    this.current = undefined;
    return unsent;
  }

  private encode(utterance: Utterance): Buffer[] {
    const { format } = this.port;
    const clip = utterance.audio ?? toneClip(DEFAULT_TONE_MS, format.sampleRate);
    const bytes = encodeFromPcm(format, resampleClip(clip.pcm, clip.sampleRate, format.sampleRate));
    const sizes = planChunks(
      bytes.length / format.bytesPerSample,
      format.sampleRate,
      () => this.port.random(),
      this.options.minChunkMs,
      this.options.maxChunkMs,
    );
    let offset = 0;
    return sizes.map((n) => bytes.subarray(offset, (offset += n * format.bytesPerSample)));
  }

  private startNext(): void {
    this.current = this.queue.shift();
    if (!this.current) return;
    // seed L10486ff: agent_response is "sent with first audio chunk".
    this.port.sendAgentResponse(this.current.text);
    this.sendChunks(this.current);
  }

  private sendChunks(job: Job): void {
    this.timer = undefined;
    while (job.next < job.chunks.length) {
      const chunk = job.chunks[job.next++]!;
      this.port.sendAudio(chunk.toString('base64'));
      if (this.current !== job) return; // cancelled from inside a send
      if (Number.isFinite(this.speed) && job.next < job.chunks.length) {
        // Next chunk after this one's duration / speed: a burst, like real TTS.
        this.timer = this.port.timers.after(bytesToMs(this.port.format, chunk.length) / this.speed, () => this.sendChunks(job));
        return;
      }
    }
    this.current = undefined;
    job.resolve(true);
    this.startNext();
  }
}
