/**
 * A benchmark agent that talks the way ElevenLabs agents do, instead of
 * echoing: utterances of 1.5-4 s sent in bursts of 100-250 ms chunks, 4x
 * faster than real time (TTS runs ahead of playback), separated by pauses of
 * 2.5-5.75 s (so it talks about 40 % of the time), and one utterance in four
 * cut off by an `interruption` (the caller barged in) part-way through its
 * playback. Deterministic per conversation (seeded).
 */
import type { Conversation } from '../../tools/reference-agent/reference-agent.js';
import type { AgentSpeechOptions, PcmClip } from '../../tools/reference-agent/types.js';
import { seededRandom as seeded } from '../../tools/reference-agent/chunks.js';

export const TALKER_SPEECH: AgentSpeechOptions = { minChunkMs: 100, maxChunkMs: 250, speed: 4 };
const UTTERANCE_S: [number, number] = [1.5, 4];
const PAUSE_S: [number, number] = [2.5, 5.75];
const INTERRUPT_SHARE = 0.25;

/** First-words scenario: the agent service's distance and the agent's own delay before its first message. */
export const FIRST_WORDS = { rttMs: 80, firstMessageDelayMs: 300, apiKey: 'bench-xi-key' };

/** A vowel-like tone (a few harmonics of 140 Hz) at about -20 dBFS: audio that is never silent. */
function speechLikeClip(seconds: number): PcmClip {
  const rate = 16000;
  const pcm = new Int16Array(Math.round(seconds * rate));
  for (let i = 0; i < pcm.length; i++) {
    const t = i / rate;
    pcm[i] = Math.round(1500 * Math.sin(2 * Math.PI * 140 * t) + 900 * Math.sin(2 * Math.PI * 420 * t) + 500 * Math.sin(2 * Math.PI * 980 * t));
  }
  return { pcm, sampleRate: rate };
}

const clips = new Map<number, PcmClip>();
function clip(seconds: number): PcmClip {
  const key = Math.round(seconds * 4) / 4; // quarter seconds: a handful of shared clips
  let c = clips.get(key);
  if (!c) clips.set(key, (c = speechLikeClip(key)));
  return c;
}


const between = (r: () => number, [lo, hi]: [number, number]): number => lo + (hi - lo) * r();
const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

let conversations = 0;

/** Runs the talking loop until the conversation closes. */
export async function talk(c: Conversation): Promise<void> {
  const random = seeded(++conversations * 7919);
  let open = true;
  void c.closed.then(() => (open = false));
  await c.started;
  await sleep(between(random, [0, PAUSE_S[1]]) * 1000); // calls do not all talk in step
  while (open) {
    const seconds = between(random, UTTERANCE_S);
    const interruptAt = random() < INTERRUPT_SHARE ? seconds * between(random, [0.3, 0.7]) * 1000 : undefined;
    const timer = interruptAt === undefined ? undefined : setTimeout(() => open && c.interrupt(), interruptAt);
    const started = performance.now();
    await c.say({ text: 'bench utterance', audio: clip(seconds) });
    // say() resolves when the last chunk is sent (4x fast); the caller hears it for `seconds`.
    const heardUntil = started + (interruptAt ?? seconds * 1000);
    await sleep(Math.max(0, heardUntil - performance.now()));
    clearTimeout(timer);
    await sleep(between(random, PAUSE_S) * 1000);
  }
}
