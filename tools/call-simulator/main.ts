/**
 * `npm run simulate -- --bridge http://127.0.0.1:8080 --auth-token … --in caller.wav --out heard.wav --seconds 10`
 * Places one inbound call on a running bridge as Twilio would and reports what happened.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { encodeWav } from '../../media/wav.js';
import { simulateInboundCall } from '../twilio-standin/call-simulator.js';
import { parseCli, UsageError, USAGE, type CliOptions } from './args.js';
import { callerAudioFromWav } from './caller-wav.js';
import { formatSummary } from './summary.js';

export interface CliIo {
  log: (line: string) => void;
  error: (line: string) => void;
}

async function simulate(opts: CliOptions, io: CliIo): Promise<number> {
  const input = opts.inPath ? callerAudioFromWav(await readFile(opts.inPath)) : undefined;
  if (input) io.log(`caller audio: ${opts.inPath} (${input.seconds.toFixed(2)} s, then line silence)`);
  const call = await simulateInboundCall({
    bridgeUrl: opts.bridge,
    authToken: opts.authToken,
    voicePath: opts.voicePath,
    accountSid: opts.accountSid,
    from: opts.from,
    to: opts.to,
    extraParams: opts.params,
    callerAudio: input?.audio,
    hangupAfterMs: opts.seconds * 1000,
    // The CLI is for listening: Say/Pause take their real time.
    verbTimeScale: 1,
  });
  io.log(`placed ${call.callSid}; the caller hangs up after ${opts.seconds} s at the latest`);
  const ended = await call.ended;
  const heard = call.heardPcm();
  if (opts.outPath) {
    await writeFile(opts.outPath, encodeWav({ sampleRate: 8000, encoding: 'pcm16', data: heard }));
    io.log(`wrote ${opts.outPath}`);
  }
  io.log(formatSummary(call, ended, heard.length));
  return ended.how === 'rejected' || ended.how === 'error' ? 1 : 0;
}

/** Runs the CLI; returns the process exit code. */
export async function runCli(argv: string[], io: CliIo = { log: console.log, error: console.error }): Promise<number> {
  try {
    const opts = parseCli(argv);
    if (!opts) {
      io.log(USAGE);
      return 0;
    }
    return await simulate(opts, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.error(`${err.message}\n\n${USAGE}`);
      return 2;
    }
    io.error(`error: ${(err as Error).message}`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runCli(process.argv.slice(2));
}
