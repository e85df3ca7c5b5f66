import type { TransferRule } from '../../config/index.js';
import { Resampler } from '../../media/resampler.js';
import { dialOperator, tieLegs } from '../../sip/signaling/b2bua-transfer.js';
import type { MediaOptions } from '../../sip/signaling/media-port.js';
import type { SrfLike } from '../../sip/signaling/srf-types.js';
import type { OutboundTrunkConfig } from '../../sip/signaling/trunks.js';
import { g711LawOf, type CallLegHandler } from '../call/call-leg.js';
import { legDecoder, legEncoder, legSampleRate } from '../call/leg-codec.js';
import type { Logger } from '../logger.js';
import type { TransferOutcome, TransferRequest } from '../transfer/transfer-request.js';
import { TtsPlayback } from '../tts/tts-playback.js';
import type { TtsService } from '../tts/tts-service.js';
import { SipCallLeg } from './sip-call-leg.js';

export interface SipTransferDeps {
  srf: SrfLike;
  trunk: OutboundTrunkConfig | undefined;
  referDomain: string | undefined;
  media: MediaOptions;
  tts: TtsService;
  log: Logger;
}

export type SipTransferResult = { outcome: TransferOutcome; via: 'refer' | 'bridge' | 'none' };

/**
 * Transfer of a SIP call, once the agent session has let go of the leg:
 * blind REFER first (RFC 3515); if the trunk refuses it or the new call
 * fails, bridge mode: dial the operator through the trunk, speak
 * `agent_message` to them, and relay audio between the two legs in Node.
 */
export async function runSipTransfer(leg: SipCallLeg, request: TransferRequest, rule: TransferRule, deps: SipTransferDeps): Promise<SipTransferResult> {
  if (deps.referDomain) {
    const refer = await leg.dialog.refer(`sip:${rule.number}@${deps.referDomain}`).catch((err: Error) => ({ kind: 'failed' as const, reason: err.message }));
    deps.log.info({ to: rule.number, refer: refer.kind }, 'REFER result');
    if (refer.kind === 'transferred') return { outcome: 'connected', via: 'refer' };
  }
  if (!deps.trunk) return { outcome: 'failed', via: 'none' };
  // The operator hears a TTS whisper first, and TTS speaks G.711: offer G.711 only on this leg.
  const media = { ...deps.media, codecs: (deps.media.codecs ?? ['PCMU', 'PCMA']).filter((c) => c !== 'G722') };
  const dialed = await dialOperator(deps.srf, deps.trunk, rule.number, { media, from: rule.callerId, ringTimeoutMs: (rule.timeoutSeconds ?? 30) * 1000 });
  if (dialed.kind === 'returnToAgent') {
    return { outcome: dialed.outcome === 'busy' || dialed.outcome === 'no-answer' ? dialed.outcome : 'failed', via: 'bridge' };
  }
  const operator = new SipCallLeg(dialed.operator);
  if (request.agentMessage) await whisper(operator, request.agentMessage, deps);
  relay(leg, operator);
  tieLegs(leg.dialog, operator.dialog, (by) => deps.log.info({ by }, 'bridged transfer ended'));
  return { outcome: 'connected', via: 'bridge' };
}

/** The operator first hears why the call comes (TTS in the operator leg's own law). */
async function whisper(operator: SipCallLeg, text: string, deps: SipTransferDeps): Promise<void> {
  const law = g711LawOf(operator.codec);
  const playback = new TtsPlayback(operator, { law });
  operator.attach({ onAudio: () => undefined, onDtmf: () => undefined, onPlayed: (l) => playback.onPlayed(l), onEnded: () => undefined });
  await playback.play(deps.tts.stream(text, { encoding: law }));
}

/** Audio both ways between caller and operator, transcoding (μ-law ⇄ A-law ⇄ G.722) when their codecs differ. */
function relay(a: SipCallLeg, b: SipCallLeg): void {
  a.attach(forwardTo(b, a.codec));
  b.attach(forwardTo(a, b.codec));
}

function forwardTo(target: SipCallLeg, from: SipCallLeg['codec']): CallLegHandler {
  const same = from === target.codec;
  const decode = legDecoder(from);
  const encode = legEncoder(target.codec);
  const resampler = legSampleRate(from) === legSampleRate(target.codec) ? undefined : new Resampler(legSampleRate(from), legSampleRate(target.codec));
  const pcm = new Int16Array(960);
  const resampled = new Int16Array(960);
  return {
    onAudio: ({ payload }) => {
      if (same) return target.sendAudio(payload);
      let samples = pcm.subarray(0, decode(payload.subarray(0, 240), pcm));
      if (resampler) samples = resampled.subarray(0, resampler.process(samples, resampled));
      const out = new Uint8Array(samples.length);
      target.sendAudio(out.subarray(0, encode(samples, out)));
    },
    onDtmf: () => undefined,
    onPlayed: () => undefined,
    onEnded: () => void target.hangup('transfer'),
  };
}
