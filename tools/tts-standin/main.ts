/**
 * `tsx tools/tts-standin/main.ts --port 8766 [--api-key KEY] [--audio tone|espeak] [--mode normal|error-mid-stream|auth-close|refuse-upgrade|stall]`
 * then run the bridge with `ELEVENLABS_API_URL=http://127.0.0.1:8766 ELEVENLABS_API_KEY=KEY TTS_VOICE_ID=any`.
 */
import { parseArgs } from 'node:util';
import { TtsStandIn, type StandInMode } from './tts-standin.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8766' },
    host: { type: 'string', default: '127.0.0.1' },
    'api-key': { type: 'string' },
    audio: { type: 'string', default: 'espeak' },
    mode: { type: 'string', default: 'normal' },
  },
});

const standIn = await TtsStandIn.start({
  port: Number(values.port), host: values.host, apiKey: values['api-key'],
  audio: values.audio === 'tone' ? 'tone' : 'espeak', mode: values.mode as StandInMode,
});
console.log(`TTS stand-in on ${standIn.url} (stream-input WebSocket and HTTP stream)`);
process.on('SIGINT', () => void standIn.close().then(() => process.exit(0)));
