import { ringbackCycle } from '../../media/ringback-tone.js';
import { frameEncoder, codecSampleRate } from '../media/frame-codec.js';
import type { LegMedia } from './media-port.js';

/**
 * Early media (RFC 3960 "gateway model"): after a 183 with our SDP the
 * caller hears a ringback tone from us while the agent gets ready. Frames go
 * through the call's own RTP session, kept ~1 s ahead, and are dropped at once
 * when the call is answered or refused.
 */

export interface Ringback {
  stop(): void;
}

const FRAME_MS = 20;
const LEAD_MS = 1000;

export function startRingback(media: LegMedia): Ringback {
  const rate = codecSampleRate(media.codec);
  const cycle = ringbackCycle(rate);
  const step = (rate * FRAME_MS) / 1000;
  const encode = frameEncoder(media.codec);
  let pos = 0;
  const fill = (): void => {
    while (media.session.unplayedMs() < LEAD_MS) {
      media.session.sendAudio(encode(cycle.subarray(pos, pos + step)));
      pos = (pos + step) % cycle.length;
    }
  };
  media.session.setDirection(media.direction);
  fill();
  const timer = setInterval(fill, LEAD_MS / 2);
  return {
    stop() {
      clearInterval(timer);
      media.session.clear();
      media.session.setDirection('inactive');
    },
  };
}
