/**
 * `npm run bench`: N simulated Twilio calls, paced in real time, through the
 * bridge to the reference agent in echo mode. Three kinds of process, so the
 * bridge's CPU and memory are its own: the bridge (built JS, `node
 * dist/src/main.js`), the reference agent, and one or more load generators
 * (the Twilio stand-in). Reports, for the bridge process alone: CPU-ms per
 * call-second, RSS per call, round trip (p50/p99) raw and minus a baseline
 * relay, and audio returned vs sent. Writes bench/results/latest.json.
 *
 *   npm run bench                                   # 300 calls, pcm_16000 and ulaw_8000, 30 s each, + baseline
 *   npm run bench -- --calls 300,50 --seconds 30 --format pcm_16000 --profile
 *   npm run bench -- --jitter                       # only the jitter-buffer playout bench (bench/jitter.ts, virtual clock, seconds)
 *   npm run bench -- --path --calls 100             # only the per-frame micro-benchmark beyond ws (bench/bridge-path.ts)
 *
 * See BENCHMARKS.md for the method and the figures.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { FromLoad, FromServer, LoadResult, LoadStart, ToLoad } from './bridge/messages.js';
import { machineCpuMs, processCpuMs, processCpuSplitMs, processRssBytes } from './bridge/proc.js';
import { formatProfile, summarizeProfile, type ProfileSummary } from './bridge/profile-summary.js';
import { bridgeStatus } from './bridge/bridge-status.js';
import { runFirstWordsCalls, type FirstWordsResult } from './bridge/first-words.js';
import { connectInspectorGc } from './bridge/inspector-gc.js';
import { formatSoak, soakSample, summarizeSoak, type SoakReport, type SoakSample } from './bridge/soak.js';
import { countAbove, median, merge, newHistogram, quantile, type Histogram } from './bridge/stats.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** BENCH_BUILD_DIR: keep two builds side by side for interleaved A/B runs with --no-build. */
const BUILD_DIR = process.env.BENCH_BUILD_DIR ? resolve(process.env.BENCH_BUILD_DIR) : join(ROOT, '.tmp', 'bench-dist');
const PROFILE_DIR = join(ROOT, '.tmp', 'bench-prof');
const AUTH_TOKEN = 'bench-auth-token-0123456789abcdef';
const ACCOUNT_SID = 'AC' + '0123456789abcdef'.repeat(2);
const AGENT_ID = 'bench';
const TSX = ['--import', 'tsx'];
/** V8 CPU profile of the process under test (bridge or relay), 500 µs sampling. */
const PROFILE_ARGS = ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, '--cpu-prof-interval=500'];
const FIRST_WORDS_KEY = 'bench-xi-key'; // = FIRST_WORDS.apiKey in bench/bridge/talker.ts

type Format = 'pcm_16000' | 'ulaw_8000';
type Target = 'bridge' | 'relay';

const TARGETS = {
  cpuMsPerCallSecond: { pcm_16000: 1.6, ulaw_8000: 1.4 } as Record<string, number>,
  rssMbPerCall: 0.3,
  addedRttP50Ms: 5,
};

interface Options {
  calls: number[];
  seconds: number;
  formats: Format[];
  rampMs: number | undefined;
  settleMs: number;
  tailMs: number;
  loadProcs: number;
  baseline: boolean;
  /** Also run the relay with the agent in pcm_16000 (table G.711, no filter): what that format's traffic costs alone. */
  pcmRelay: boolean;
  repeat: number;
  profile: boolean;
  build: boolean;
  logLevel: string;
  out: string;
  /** Before each scenario, wait (up to quietWaitMs) until the machine is less busy than this, %. */
  quietBelowPct: number;
  quietWaitMs: number;
  /** Build this commit instead of the work tree. */
  ref: string | undefined;
  /** Extra node flags for the bridge, e.g. --perf-basic-prof for `perf record -p`. */
  bridgeNodeArgs: string[];
  /** Soak: one long steady window of this many ms, sampled every soakSampleMs (see soak.ts). */
  soakMs: number | undefined;
  soakSampleMs: number;
  soakWarmupMs: number;
  /** echo (round trip markers) or talker (a realistic talking agent: CPU and playout smoothness). */
  agent: 'echo' | 'talker';
  /** First-words scenario: this many sequential calls (0 = off). */
  firstWords: number;
  firstWordsSpacingMs: number;
  /** Only the jitter-buffer playout-delay bench (bench/jitter.ts): no processes, no build. */
  jitter: boolean;
  /** Only the per-frame micro-benchmark (bench/bridge-path.ts), per format and call count: no build. */
  path: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      calls: { type: 'string', default: '300' },
      seconds: { type: 'string', default: '30' },
      format: { type: 'string', default: 'both' },
      'ramp-ms': { type: 'string' },
      'settle-ms': { type: 'string', default: '3000' },
      'tail-ms': { type: 'string', default: '2000' },
      'load-procs': { type: 'string', default: '2' },
      'no-baseline': { type: 'boolean', default: false },
      'pcm-relay': { type: 'boolean', default: false },
      repeat: { type: 'string', default: '1' },
      profile: { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
      'log-level': { type: 'string', default: 'warn' },
      'quiet-below': { type: 'string', default: '100' },
      'quiet-wait-s': { type: 'string', default: '180' },
      ref: { type: 'string' },
      'bridge-node-args': { type: 'string', default: '' },
      soak: { type: 'string' },
      agent: { type: 'string', default: 'echo' },
      'first-words': { type: 'string', default: '0' },
      'first-words-spacing-s': { type: 'string', default: '5' },
      'soak-sample-s': { type: 'string', default: '15' },
      'soak-warmup': { type: 'string', default: '5m' },
      jitter: { type: 'boolean', default: false },
      path: { type: 'boolean', default: false },
      out: { type: 'string', default: join(ROOT, 'bench', 'results', 'latest.json') },
      help: { type: 'boolean', default: false },
    },
  });
  if (v.help) {
    console.log(`npm run bench -- [--calls 300[,50]] [--seconds 30] [--format pcm_16000|ulaw_8000|both]
  [--ramp-ms N (default 33 ms per call)] [--settle-ms 3000] [--tail-ms 2000] [--load-procs 2]
  [--repeat 1] [--no-baseline] [--pcm-relay] [--profile] [--no-build] [--log-level warn] [--out bench/results/latest.json]
  [--quiet-below PCT --quiet-wait-s 180]  wait before each scenario until the shared machine is less busy than PCT%
  [--ref HEAD]  build that commit (git archive) instead of the work tree
  [--bridge-node-args=--perf-basic-prof]  extra node flags for the bridge process (e.g. to profile it with perf)
  [--soak 30m [--soak-sample-s 15] [--soak-warmup 5m]]  one long window (default 100 calls, pcm_16000, no baseline):
      RSS / heap slope after warm-up, event-loop delay p99 over time, handles and timers
  [--agent echo|talker]  talker: an agent that talks in bursts ~40 % of the time with barge-ins (CPU, playout gaps)
  [--first-words N [--first-words-spacing-s 5]]  only N sequential calls to a private agent 80 ms away:
      stream start -> first agent audio at the caller
  [--jitter]  only the jitter-buffer bench: playout delay and gaps, adaptive vs fixed 60 ms, on a virtual clock
      (clean, ±20 ms, ±20 ms + 1 % loss; same as npx tsx bench/jitter.ts)
  [--path [--calls 100] [--format both]]  only the per-frame micro-benchmark: CPU-µs per frame pair (caller frame in,
      agent audio out) through the real leg, session and agent link on socket doubles, beside the bare relay's handlers
      (same as npx tsx bench/bridge-path.ts --calls N --format F)`);
    process.exit(0);
  }
  const int = (name: string, text: string, min: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, not ${text}`);
    return n;
  };
  const soakMs = v.soak === undefined ? undefined : parseDuration('soak', v.soak);
  const format = soakMs !== undefined && v.format === 'both' ? 'pcm_16000' : v.format;
  const formats: Format[] = format === 'both' ? ['pcm_16000', 'ulaw_8000'] : [format as Format];
  for (const f of formats) if (f !== 'pcm_16000' && f !== 'ulaw_8000') throw new Error(`--format: pcm_16000, ulaw_8000 or both, not ${f}`);
  return {
    calls: (soakMs !== undefined && !argv.some((a) => a.startsWith('--calls')) ? '100' : v.calls).split(',').map((c) => int('calls', c, 1)),
    seconds: soakMs !== undefined ? Math.round(soakMs / 1000) : int('seconds', v.seconds, 1),
    formats,
    rampMs: v['ramp-ms'] === undefined ? undefined : int('ramp-ms', v['ramp-ms'], 0),
    settleMs: int('settle-ms', v['settle-ms'], 0),
    tailMs: int('tail-ms', v['tail-ms'], 0),
    loadProcs: int('load-procs', v['load-procs'], 1),
    baseline: !v['no-baseline'] && soakMs === undefined,
    pcmRelay: v['pcm-relay'],
    repeat: int('repeat', v.repeat, 1),
    profile: v.profile,
    build: !v['no-build'],
    logLevel: v['log-level'],
    out: resolve(v.out),
    quietBelowPct: int('quiet-below', v['quiet-below'], 1),
    quietWaitMs: int('quiet-wait-s', v['quiet-wait-s'], 0) * 1000,
    ref: v.ref,
    bridgeNodeArgs: v['bridge-node-args'].split(' ').filter(Boolean),
    soakMs,
    soakSampleMs: int('soak-sample-s', v['soak-sample-s'], 1) * 1000,
    soakWarmupMs: parseDuration('soak-warmup', v['soak-warmup']),
    agent: v.agent === 'talker' ? 'talker' : v.agent === 'echo' ? 'echo' : ((): never => { throw new Error(`--agent: echo or talker, not ${v.agent}`); })(),
    firstWords: int('first-words', v['first-words'], 0),
    firstWordsSpacingMs: Number(v['first-words-spacing-s']) * 1000,
    jitter: v.jitter,
    path: v.path,
  };
}

/** `90s`, `30m`, `1h` (a bare number is seconds). */
function parseDuration(name: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text);
  if (!m) throw new Error(`--${name}: a duration like 90s, 30m or 1h, not ${text}`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 's' | 'm' | 'h'];
}

// ---- processes -------------------------------------------------------------

/**
 * Compiles the bridge into BUILD_DIR: from the work tree, or (with --ref) from
 * a commit exported with `git archive`, so that other people's uncommitted
 * edits do not leak into the measurement.
 */
function build(ref: string | undefined): void {
  const started = performance.now();
  let cwd = ROOT;
  if (ref) {
    cwd = join(ROOT, '.tmp', 'bench-src');
    rmSync(cwd, { recursive: true, force: true });
    mkdirSync(cwd, { recursive: true });
    // Only what tsconfig.build.json compiles (no test files for anyone's test runner to find here).
    const paths = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'src', 'sip', 'media', 'config', 'tools'];
    const present = paths.filter((p) => execFileSync('git', ['ls-tree', '--name-only', ref, p], { cwd: ROOT, encoding: 'utf8' }).trim());
    const tar = execFileSync('git', ['archive', '--format=tar', ref, ...present], { cwd: ROOT, maxBuffer: 1 << 30 });
    execFileSync('tar', ['-x', '-C', cwd], { input: tar });
    execFileSync('ln', ['-s', join(ROOT, 'node_modules'), join(cwd, 'node_modules')]);
  }
  rmSync(BUILD_DIR, { recursive: true, force: true });
  try {
    execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json', '--outDir', BUILD_DIR], { cwd, stdio: 'pipe' });
  } catch (err) {
    // Type errors still emit JS; a missing entry point is the only fatal outcome.
    const out = String((err as { stdout?: Buffer }).stdout ?? '');
    if (!existsSync(join(BUILD_DIR, 'src', 'main.js'))) throw new Error(`build failed:\n${out}`);
    console.warn(`warning: tsc reported errors (JS emitted anyway):\n${out.split('\n').slice(0, 10).join('\n')}`);
  }
  console.log(`built the bridge${ref ? ` at ${ref}` : ' from the work tree'} into ${BUILD_DIR} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** What was measured: the commit and whether the work tree had uncommitted changes (others edit it concurrently). */
function gitState(ref: string | undefined): { commit: string; dirtyFiles: number } {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', ref ?? 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    if (ref) return { commit, dirtyFiles: 0 };
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'media', 'config'], { cwd: ROOT, encoding: 'utf8' });
    return { commit, dirtyFiles: dirty.split('\n').filter(Boolean).length };
  } catch {
    return { commit: 'unknown', dirtyFiles: -1 };
  }
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

function forkTs(script: string, args: string[], nodeArgs: string[] = []): ChildProcess {
  return fork(join(ROOT, script), args, { cwd: ROOT, execArgv: [...TSX, ...nodeArgs], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function nextMessage<T>(child: ChildProcess, match: (m: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  return new Promise((res, rej) => {
    const timer = setTimeout(() => done(new Error(`${what}: nothing within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m: unknown): void => {
      const msg = m as T & { type?: string; message?: string };
      if (msg.type === 'error') return done(new Error(`${what}: ${msg.message}`));
      if (match(msg)) done(undefined, msg);
    };
    const onExit = (code: number | null): void => done(new Error(`${what}: process exited (${code})`));
    const done = (err?: Error, value?: T): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) rej(err);
      else res(value!);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function startServerProcess(script: string, args: string[], what: string, nodeArgs: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const child = forkTs(script, args, nodeArgs);
  const ready = await nextMessage<FromServer>(child, (m) => m.type === 'ready', 30_000, what);
  return { child, url: (ready as { url: string }).url };
}

async function startBridge(
  agentUrl: string, calls: number, opts: Options, logFile: string, extraEnv: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string; inspectPort?: number }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production',
    PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: url, LOG_LEVEL: opts.logLevel,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    ELEVENLABS_API_URL: agentUrl, ELEVENLABS_AGENT_ID: AGENT_ID,
    MAX_CONCURRENT_CALLS: String(calls + 50), SHUTDOWN_GRACE_MS: '0',
    // ws reads this itself (no native masking through bufferutil): for A/B runs of that dependency.
    ...(process.env.WS_NO_BUFFER_UTIL ? { WS_NO_BUFFER_UTIL: process.env.WS_NO_BUFFER_UTIL } : {}),
    ...extraEnv,
  };
  const execArgv = opts.profile ? [...PROFILE_ARGS] : [];
  const inspectPort = opts.soakMs !== undefined ? await freePort() : undefined;
  if (inspectPort !== undefined) execArgv.push(`--inspect=127.0.0.1:${inspectPort}`);
  execArgv.push(...opts.bridgeNodeArgs);
  const log = openSync(logFile, 'w');
  const child = spawn(process.execPath, [...execArgv, join(BUILD_DIR, 'src', 'main.js')], { cwd: ROOT, env, stdio: ['ignore', log, log] });
  closeSync(log);
  const deadline = performance.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`bridge exited with ${child.exitCode}; see ${logFile}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) return { child, url, inspectPort };
    } catch {
      /* not listening yet */
    }
    if (performance.now() > deadline) throw new Error(`bridge not ready in 30 s; see ${logFile}`);
    await sleep(100);
  }
}

async function stopProcess(child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function sumMetric(metrics: Record<string, number>, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) if (k.startsWith(name)) out[k.slice(name.length) || 'total'] = v;
  return out;
}

// ---- one scenario ----------------------------------------------------------

interface ScenarioResult {
  target: Target;
  agentMode: 'echo' | 'talker';
  format: Format;
  calls: number;
  callsConnected: number;
  callsLive: number;
  failures: string[];
  windowSeconds: number;
  cpu: { targetMs: number; targetSystemMs: number; agentMs: number; loadMs: number; machineBusyMs: number; machineTotalMs: number; cores: number; busyBeforePct: number };
  cpuMsPerCallSecond: number;
  rss: { idleMb: number; atLoadMb: number; maxMb: number; perCallMb: number; heapUsedIdleMb?: number; heapUsedAtLoadMb?: number };
  rtt: {
    p50: number; p90: number; p99: number; max: number; mean: number; samples: number;
    /** Across calls: the median call's floor (min) and the 90th-percentile call's floor; a high floor = a standing queue in that call. */
    callFloorP50: number; callFloorP90: number; callMedianP50: number; callMedianP90: number;
  };
  generator: { framesLateOver5ms: number; lateFraction: number; p99LatenessMs: number; maxLatenessMs: number; cpuMs: number };
  audio: {
    windowFramesSent: number; windowMarkersSent: number; windowMarkersHeard: number; windowMarkersLost: number; duplicateMarkers: number;
    windowBytesSent: number; windowBytesHeard: number; returnedOverSent: number;
    totalFramesSent: number; totalFramesHeard: number; wireProblems: number; clears: number;
  };
  bridgeMetrics?: { dropped: Record<string, number>; rejected: Record<string, number>; ended: Record<string, number> };
  profile?: ProfileSummary;
  /** The steady window on the monotonic clock, µs (to re-slice a saved .cpuprofile with bench/bridge/profile-summary.ts). */
  windowMonotonicUs?: [number, number];
  logFile?: string;
  soak?: SoakReport;
  /** Talker agent: playout gaps (40 ms-1 s) at the callers in the window. */
  playout?: { gaps: number; agentAudioMs: number; gapsPerCallMinute: number };
}

/** On a shared machine: wait (bounded) for other people's work to calm down before measuring. */
async function waitForQuiet(opts: Options): Promise<number> {
  const deadline = performance.now() + opts.quietWaitMs;
  for (;;) {
    const a = machineCpuMs();
    await sleep(2000);
    const b = machineCpuMs();
    const pct = (100 * (b.busyMs - a.busyMs)) / (b.totalMs - a.totalMs);
    if (pct < opts.quietBelowPct || performance.now() > deadline) {
      if (opts.quietBelowPct < 100) console.log(`machine ${pct.toFixed(0)}% busy before the scenario${pct >= opts.quietBelowPct ? ' (gave up waiting)' : ''}`);
      return pct;
    }
  }
}

async function runScenario(target: Target, format: Format, calls: number, opts: Options, tag: string): Promise<ScenarioResult> {
  const rampMs = opts.rampMs ?? calls * 33;
  const busyBeforePct = opts.quietBelowPct < 100 ? await waitForQuiet(opts) : NaN;
  console.log(`\n== ${target} | agent ${format} | ${calls} calls | ramp ${(rampMs / 1000).toFixed(1)} s, window ${opts.seconds} s ==`);
  const agentMode = target === 'bridge' ? opts.agent : 'echo';
  const agent = await startServerProcess('bench/bridge/agent-process.ts', [format, AGENT_ID, agentMode], 'agent');
  const children: ChildProcess[] = [agent.child];
  const logFile = join(ROOT, '.tmp', `bench-${tag}.log`);
  try {
    if (opts.profile) rmSync(PROFILE_DIR, { recursive: true, force: true });
    const sut = target === 'bridge'
      ? await startBridge(agent.url, calls, opts, logFile)
      : await startServerProcess('bench/bridge/relay-process.ts', [agent.url, AGENT_ID, format], 'relay', opts.profile ? PROFILE_ARGS : []);
    children.push(sut.child);
    const pid = sut.child.pid!;
    await sleep(1000);
    const idleRss = processRssBytes(pid);
    const idleStatus = target === 'bridge' ? await bridgeStatus(sut.url) : undefined;

    // Ramp: calls spread evenly over rampMs, interleaved across the generator processes.
    const procs = Math.min(opts.loadProcs, calls);
    const loads: ChildProcess[] = [];
    const audioSeconds = (rampMs + opts.settleMs + opts.seconds * 1000 + opts.tailMs) / 1000 + 30;
    const ramped = [];
    for (let p = 0; p < procs; p++) {
      const child = forkTs('bench/bridge/load-process.ts', []);
      loads.push(child);
      children.push(child);
      const mine = Math.floor(calls / procs) + (p < calls % procs ? 1 : 0);
      const start: LoadStart = {
        type: 'start', targetUrl: sut.url, authToken: AUTH_TOKEN, accountSid: ACCOUNT_SID,
        calls: mine, stride: procs, offset: p, spacingMs: rampMs / calls, audioSeconds, soak: opts.soakMs !== undefined, agentMode,
      };
      ramped.push(nextMessage<FromLoad>(child, (m) => m.type === 'ramped', rampMs + 120_000, `load ${p}`));
      child.send(start satisfies ToLoad);
    }
    const rampInfo = await Promise.all(ramped);
    const connected = rampInfo.reduce((n, m) => n + (m as { connected: number }).connected, 0);
    console.log(`ramped: ${connected}/${calls} calls connected`);
    await sleep(opts.settleMs);

    // Steady window.
    const sys0 = processCpuSplitMs(pid).systemMs;
    const cpu0 = { t: processCpuMs(pid), a: processCpuMs(agent.child.pid!), l: loads.map((c) => processCpuMs(c.pid!)), m: machineCpuMs() };
    const hr0 = process.hrtime.bigint();
    for (const c of loads) c.send({ type: 'window-start' } satisfies ToLoad);
    const t0 = performance.now();
    const rssSamples: number[] = [];
    const soakSamples: SoakSample[] = [];
    let nextSoakSample = 0;
    const { inspectPort } = sut as { inspectPort?: number };
    const gc = opts.soakMs !== undefined && inspectPort !== undefined ? await connectInspectorGc(inspectPort) : undefined;
    while (performance.now() - t0 < opts.seconds * 1000) {
      await sleep(Math.min(1000, opts.seconds * 1000 - (performance.now() - t0)));
      rssSamples.push(processRssBytes(pid));
      if (opts.soakMs !== undefined && target === 'bridge' && performance.now() - t0 >= nextSoakSample) {
        nextSoakSample += opts.soakSampleMs;
        soakSamples.push(await soakSample(pid, sut.url, (performance.now() - t0) / 1000, gc));
      }
    }
    gc?.close();
    for (const c of loads) c.send({ type: 'window-end' } satisfies ToLoad);
    const windowMs = performance.now() - t0;
    const hr1 = process.hrtime.bigint();
    const sys1 = processCpuSplitMs(pid).systemMs;
    const cpu1 = { t: processCpuMs(pid), a: processCpuMs(agent.child.pid!), l: loads.map((c) => processCpuMs(c.pid!)), m: machineCpuMs() };
    const loadStatus = target === 'bridge' ? await bridgeStatus(sut.url) : undefined;

    await sleep(opts.tailMs);
    const endStatus = target === 'bridge' ? await bridgeStatus(sut.url) : undefined;
    const results = await Promise.all(
      loads.map((c, p) => {
        const r = nextMessage<FromLoad>(c, (m) => m.type === 'result', 90_000, `load ${p} result`);
        c.send({ type: 'hangup' } satisfies ToLoad);
        return r as Promise<LoadResult>;
      }),
    );
    if (target === 'bridge') {
      for (let i = 0; i < 50; i++) {
        if ((await bridgeStatus(sut.url)).activeCalls === 0) break;
        await sleep(200);
      }
    }
    await Promise.all(loads.map((c) => stopProcess(c)));
    await stopProcess(sut.child);
    await stopProcess(agent.child);

    const r = combine(results);
    const live = r.callsLiveAtWindowEnd;
    const windowSeconds = windowMs / 1000;
    const targetCpu = cpu1.t - cpu0.t;
    const atLoadRss = median(rssSamples);
    const res: ScenarioResult = {
      target, agentMode, format, calls, callsConnected: r.callsConnected, callsLive: live, failures: r.failures, windowSeconds,
      cpu: {
        targetMs: targetCpu, targetSystemMs: sys1 - sys0, agentMs: cpu1.a - cpu0.a,
        loadMs: cpu1.l.reduce((s, v, i) => s + v - cpu0.l[i]!, 0),
        machineBusyMs: cpu1.m.busyMs - cpu0.m.busyMs, machineTotalMs: cpu1.m.totalMs - cpu0.m.totalMs, cores: os.cpus().length, busyBeforePct,
      },
      cpuMsPerCallSecond: targetCpu / (live * windowSeconds),
      rss: {
        idleMb: idleRss / 2 ** 20, atLoadMb: atLoadRss / 2 ** 20, maxMb: Math.max(...rssSamples) / 2 ** 20,
        perCallMb: (atLoadRss - idleRss) / 2 ** 20 / Math.max(1, live),
        heapUsedIdleMb: idleStatus ? (idleStatus.metrics['nodejs_heap_size_used_bytes'] ?? NaN) / 2 ** 20 : undefined,
        heapUsedAtLoadMb: loadStatus ? (loadStatus.metrics['nodejs_heap_size_used_bytes'] ?? NaN) / 2 ** 20 : undefined,
      },
      rtt: {
        p50: quantile(r.rtt, 0.5), p90: quantile(r.rtt, 0.9), p99: quantile(r.rtt, 0.99), max: r.rtt.max,
        mean: r.rtt.sum / Math.max(1, r.rtt.count), samples: r.rtt.count,
        callFloorP50: quantile(r.callMinRtt, 0.5), callFloorP90: quantile(r.callMinRtt, 0.9),
        callMedianP50: quantile(r.callMedianRtt, 0.5), callMedianP90: quantile(r.callMedianRtt, 0.9),
      },
      generator: {
        framesLateOver5ms: countAbove(r.lateness, 5), lateFraction: countAbove(r.lateness, 5) / Math.max(1, r.lateness.count),
        p99LatenessMs: quantile(r.lateness, 0.99), maxLatenessMs: r.lateness.max, cpuMs: r.windowCpuMs,
      },
      audio: {
        windowFramesSent: r.windowFramesSent, windowMarkersSent: r.windowMarkersSent, windowMarkersHeard: r.windowMarkersHeard,
        windowMarkersLost: r.windowMarkersSent - r.windowMarkersHeard, duplicateMarkers: r.duplicateMarkers,
        windowBytesSent: r.windowBytesSent, windowBytesHeard: r.windowBytesHeard,
        returnedOverSent: r.windowBytesHeard / Math.max(1, r.windowBytesSent),
        totalFramesSent: r.totalFramesSent, totalFramesHeard: r.totalFramesHeard,
        wireProblems: r.wireProblems, clears: r.clears,
      },
      playout: agentMode === 'talker'
        ? { gaps: r.playoutGaps, agentAudioMs: r.agentAudioMs, gapsPerCallMinute: r.playoutGaps / Math.max(1, (live * windowSeconds) / 60) }
        : undefined,
      logFile: target === 'bridge' ? logFile : undefined,
      soak: soakSamples.length ? summarizeSoak(soakSamples, opts.soakWarmupMs / 1000) : undefined,
    };
    if (endStatus) {
      res.bridgeMetrics = {
        dropped: sumMetric(endStatus.metrics, 'bridge_dropped_audio_frames_total'),
        rejected: sumMetric(endStatus.metrics, 'bridge_rejected_messages_total'),
        ended: sumMetric(endStatus.metrics, 'bridge_calls_ended_total'),
      };
    }
    if (opts.profile) {
      const file = existsSync(PROFILE_DIR) ? readdirSync(PROFILE_DIR).find((f) => f.endsWith('.cpuprofile')) : undefined;
      if (file) {
        const kept = join(ROOT, '.tmp', `bench-${tag}.cpuprofile`);
        rmSync(kept, { force: true });
        execFileSync('mv', [join(PROFILE_DIR, file), kept]);
        res.profile = summarizeProfile(kept, Number(hr0 / 1000n), Number(hr1 / 1000n));
        res.windowMonotonicUs = [Number(hr0 / 1000n), Number(hr1 / 1000n)];
        console.log(`profile saved to ${kept}`);
      } else {
        console.warn('warning: no CPU profile was written');
      }
    }
    printScenario(res);
    return res;
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}

function combine(results: LoadResult[]): LoadResult {
  const acc: LoadResult = {
    type: 'result', callsPlaced: 0, callsConnected: 0, callsLiveAtWindowEnd: 0, failures: [],
    windowFramesSent: 0, windowMarkersSent: 0, windowMarkersHeard: 0, duplicateMarkers: 0, windowBytesSent: 0, windowBytesHeard: 0,
    totalFramesSent: 0, totalFramesHeard: 0, rtt: newHistogram(0.05, 2000), lateness: newHistogram(0.05, 2000),
    wireProblems: 0, clears: 0, windowCpuMs: 0, windowMs: 0, hangupMs: 0, playoutGaps: 0, agentAudioMs: 0,
    callMinRtt: newHistogram(0.05, 2000), callMedianRtt: newHistogram(0.05, 2000),
  };
  for (const r of results) {
    for (const k of ['callsPlaced', 'callsConnected', 'callsLiveAtWindowEnd', 'windowFramesSent', 'windowMarkersSent', 'windowMarkersHeard',
      'duplicateMarkers', 'windowBytesSent', 'windowBytesHeard', 'totalFramesSent', 'totalFramesHeard', 'wireProblems', 'clears', 'windowCpuMs',
      'playoutGaps', 'agentAudioMs'] as const) {
      acc[k] += r[k];
    }
    acc.failures.push(...r.failures);
    merge(acc.rtt as Histogram, r.rtt);
    merge(acc.lateness as Histogram, r.lateness);
    merge(acc.callMinRtt, r.callMinRtt);
    merge(acc.callMedianRtt, r.callMedianRtt);
  }
  return acc;
}

// ---- output ----------------------------------------------------------------

const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : '-');
const f2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '-');
const f3 = (n: number): string => (Number.isFinite(n) ? n.toFixed(3) : '-');

function printScenario(r: ScenarioResult): void {
  const c = r.cpu;
  console.log(
    [
      `calls live in window: ${r.callsLive}/${r.calls} (connected ${r.callsConnected}${r.failures.length ? `, failures: ${r.failures.slice(0, 3).join('; ')}` : ''})`,
      `${r.target} CPU: ${f3(r.cpuMsPerCallSecond)} ms per call-second (${f1(c.targetMs)} ms over ${f1(r.windowSeconds)} s = ${f1((100 * c.targetMs) / (r.windowSeconds * 1000))}% of one core, ${f1((100 * c.targetSystemMs) / Math.max(1, c.targetMs))}% of it in the kernel)`,
      `other CPU in window: agent ${f1((100 * c.agentMs) / (r.windowSeconds * 1000))}%, generators ${f1((100 * c.loadMs) / (r.windowSeconds * 1000))}%, ` +
        `machine busy ${f1((100 * c.machineBusyMs) / c.machineTotalMs)}% of ${c.cores} cores ` +
        `(unrelated processes ≈ ${f1((100 * (c.machineBusyMs - c.targetMs - c.agentMs - c.loadMs)) / (r.windowSeconds * 1000))}% of one core)`,
      `RSS: idle ${f1(r.rss.idleMb)} MB, under load ${f1(r.rss.atLoadMb)} MB (max ${f1(r.rss.maxMb)}) -> ${f3(r.rss.perCallMb)} MB per call`,
      `round trip: p50 ${f2(r.rtt.p50)} ms, p90 ${f2(r.rtt.p90)}, p99 ${f2(r.rtt.p99)}, max ${f1(r.rtt.max)} (${r.rtt.samples} markers); ` +
        `per call: floor p50 ${f2(r.rtt.callFloorP50)} / p90 ${f2(r.rtt.callFloorP90)} ms, median p50 ${f2(r.rtt.callMedianP50)} / p90 ${f2(r.rtt.callMedianP90)} ms`,
      `${isClean(r) ? 'clean run' : 'NOT CLEAN: generator late or machine saturated; RTT/loss describe the machine, not the bridge'}`,
      `generator: ${r.generator.framesLateOver5ms} frames late by > 5 ms (${f2(100 * r.generator.lateFraction)}%), p99 lateness ${f2(r.generator.p99LatenessMs)} ms, max ${f1(r.generator.maxLatenessMs)} ms`,
      `audio in window: sent ${r.audio.windowFramesSent} frames; markers sent ${r.audio.windowMarkersSent}, came back ${r.audio.windowMarkersHeard}, ` +
        `lost ${r.audio.windowMarkersLost}${r.audio.duplicateMarkers ? ` (${r.audio.duplicateMarkers} ambiguous)` : ''}; ` +
        `bytes returned/sent ${f3(r.audio.returnedOverSent)}; whole calls: heard ${r.audio.totalFramesHeard} of ${r.audio.totalFramesSent} frames sent` +
        `${r.audio.wireProblems ? `; ${r.audio.wireProblems} wire problems` : ''}${r.audio.clears ? `; ${r.audio.clears} clears` : ''}`,
      r.bridgeMetrics ? `bridge metrics: dropped ${JSON.stringify(r.bridgeMetrics.dropped)}, rejected ${JSON.stringify(r.bridgeMetrics.rejected)}` : '',
    ].filter(Boolean).join('\n'),
  );
  if (r.profile) console.log(formatProfile(r.profile));
  if (r.soak) console.log(formatSoak(r.soak));
  if (r.playout) {
    const talkPct = (100 * r.playout.agentAudioMs) / Math.max(1, r.callsLive * r.windowSeconds * 1000);
    console.log(`talker: agent audio ${f1(talkPct)}% of call time; playout gaps 40 ms-1 s: ${r.playout.gaps} (${f3(r.playout.gapsPerCallMinute)} per call-minute); ${r.audio.clears} clears (barge-ins)`);
  }
}

interface Summary {
  format: Format;
  calls: number;
  runs: number;
  cpuMsPerCallSecond: number;
  rssMbPerCall: number;
  rttP50: number;
  rttP99: number;
  baselineP50: number;
  baselineP99: number;
  addedP50: number;
  addedP99: number;
  markersLost: number;
  /** bridge_dropped_audio_frames_total at the end of the window, whole run (ramp included). */
  bridgeDroppedFrames: number;
  returnedOverSent: number;
  generatorLateFraction: number;
  machineBusyPct: number;
  /** Runs whose generator kept time (< 1% of frames late by > 5 ms) and whose machine was not saturated (< 90% busy). */
  cleanRuns: number;
  /** Median CPU of the bare μ-law relay, and of the relay speaking this format (--pcm-relay), ms per call-second. */
  relayCpu: number;
  sameFormatRelayCpu: number;
  verdict: Record<string, boolean>;
}

/** A run whose numbers describe the bridge rather than a starved machine. */
function isClean(r: ScenarioResult): boolean {
  return r.generator.lateFraction < 0.01 && r.cpu.machineBusyMs / r.cpu.machineTotalMs < 0.9;
}

function summarize(format: Format, calls: number, allRuns: ScenarioResult[], allBaselines: ScenarioResult[], formatRelays: ScenarioResult[]): Summary {
  // Medians over clean runs when there are any: a starved run drops audio, so it also does less work per call.
  const clean = allRuns.filter(isClean);
  const runs = clean.length ? clean : allRuns;
  const baselines = allBaselines.some(isClean) ? allBaselines.filter(isClean) : allBaselines;
  const m = (f: (r: ScenarioResult) => number, of = runs): number => median(of.map(f));
  const s: Summary = {
    format, calls, runs: allRuns.length,
    cpuMsPerCallSecond: m((r) => r.cpuMsPerCallSecond),
    rssMbPerCall: m((r) => r.rss.perCallMb),
    rttP50: m((r) => r.rtt.p50),
    rttP99: m((r) => r.rtt.p99),
    baselineP50: m((r) => r.rtt.p50, baselines),
    baselineP99: m((r) => r.rtt.p99, baselines),
    addedP50: NaN,
    addedP99: NaN,
    markersLost: runs.reduce((n, r) => n + r.audio.windowMarkersLost, 0),
    bridgeDroppedFrames: runs.reduce((n, r) => n + Object.values(r.bridgeMetrics?.dropped ?? {}).reduce((a, b) => a + b, 0), 0),
    returnedOverSent: m((r) => r.audio.returnedOverSent),
    generatorLateFraction: m((r) => r.generator.lateFraction),
    machineBusyPct: m((r) => (100 * r.cpu.machineBusyMs) / r.cpu.machineTotalMs),
    cleanRuns: clean.length,
    relayCpu: m((r) => r.cpuMsPerCallSecond, allBaselines),
    sameFormatRelayCpu: m((r) => r.cpuMsPerCallSecond, formatRelays),
    verdict: {},
  };
  s.addedP50 = Number.isFinite(s.baselineP50) ? s.rttP50 - s.baselineP50 : s.rttP50;
  s.addedP99 = Number.isFinite(s.baselineP99) ? s.rttP99 - s.baselineP99 : s.rttP99;
  // Without a clean run nothing can be claimed either way: verdicts stay empty (shown as "?").
  if (clean.length === 0) return s;
  s.verdict = {
    cpu: s.cpuMsPerCallSecond <= (TARGETS.cpuMsPerCallSecond[format] ?? Infinity),
    ...(format === 'pcm_16000' ? { rss: s.rssMbPerCall <= TARGETS.rssMbPerCall, addedRttP50: s.addedP50 <= TARGETS.addedRttP50Ms } : {}),
    noAudioLost: s.markersLost === 0 && s.bridgeDroppedFrames === 0 && Math.abs(1 - s.returnedOverSent) < 0.01,
  };
  return s;
}

function printSummary(rows: Summary[]): void {
  console.log('\n=== bridge benchmark summary (medians over clean runs, else over all runs; ? = no clean run, no verdict) ===');
  const head = ['agent format', 'calls', 'CPU-ms/call-s', 'RSS MB/call', 'RTT p50/p99 ms', 'baseline p50/p99', 'added p50/p99', 'markers lost / bridge drops', 'returned/sent', 'gen late>5ms', 'machine busy', 'clean runs'];
  const body = rows.map((s) => {
    const ok = (b: boolean | undefined): string => (s.cleanRuns === 0 ? ' ?' : b === undefined ? '' : b ? ' ✓' : ' ✗');
    return [
    s.format, String(s.calls),
    `${f3(s.cpuMsPerCallSecond)}${ok(s.verdict.cpu)}`,
    `${f3(s.rssMbPerCall)}${ok(s.verdict.rss)}`,
    `${f2(s.rttP50)} / ${f2(s.rttP99)}`,
    `${f2(s.baselineP50)} / ${f2(s.baselineP99)}`,
    `${f2(s.addedP50)}${ok(s.verdict.addedRttP50)} / ${f2(s.addedP99)}`,
    `${s.markersLost} / ${s.bridgeDroppedFrames}${ok(s.verdict.noAudioLost)}`,
    f3(s.returnedOverSent),
    `${f2(100 * s.generatorLateFraction)}%`,
    `${f1(s.machineBusyPct)}%`,
    `${s.cleanRuns}/${s.runs}`,
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  console.log(line(head));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const r of body) console.log(line(r));
  for (const s of rows.filter((r) => Number.isFinite(r.relayCpu))) {
    const own = Number.isFinite(s.sameFormatRelayCpu) ? `; ${f2(s.cpuMsPerCallSecond / s.sameFormatRelayCpu)}× the relay speaking ${s.format} (${f3(s.sameFormatRelayCpu)})` : '';
    console.log(`CPU, ${s.format} at ${s.calls} calls: ${f2(s.cpuMsPerCallSecond / s.relayCpu)}× the bare μ-law relay (${f3(s.relayCpu)})${own}`);
  }
  console.log(`targets: CPU ≤ ${TARGETS.cpuMsPerCallSecond.pcm_16000} (pcm_16000) / ≤ ${TARGETS.cpuMsPerCallSecond.ulaw_8000} (ulaw_8000) ms per call-second; ` +
    `RSS ≤ ${TARGETS.rssMbPerCall} MB per call; added round trip p50 ≤ ${TARGETS.addedRttP50Ms} ms; no audio lost`);
  if (rows.some((s) => s.cleanRuns < s.runs)) {
    console.log('WARNING: some runs were not clean (generator late on > 1% of frames, or machine > 90% busy): ' +
      'their round trip and loss figures describe a starved machine, not the bridge alone. See per-run lines above.');
  }
}

// ---- first words -----------------------------------------------------------

/** Sequential calls to a private agent 80 ms away: stream start -> first agent audio at the caller. */
async function runFirstWords(opts: Options): Promise<FirstWordsResult> {
  console.log(`\n== first words | ${opts.firstWords} calls, ${opts.firstWordsSpacingMs / 1000} s apart | agent 80 ms away, first message after 300 ms ==`);
  const agent = await startServerProcess('bench/bridge/agent-process.ts', ['ulaw_8000', AGENT_ID, 'first-words'], 'agent');
  const children: ChildProcess[] = [agent.child];
  try {
    const sut = await startBridge(agent.url, 10, opts, join(ROOT, '.tmp', 'bench-first-words.log'), { ELEVENLABS_API_KEY: FIRST_WORDS_KEY });
    children.push(sut.child);
    const result = await runFirstWordsCalls({ bridgeUrl: sut.url, authToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, calls: opts.firstWords, spacingMs: opts.firstWordsSpacingMs });
    await stopProcess(sut.child);
    await stopProcess(agent.child);
    console.log(`first words: p50 ${f1(result.p50Ms)} ms, min ${f1(result.minMs)}, max ${f1(result.maxMs)} (${result.samplesMs.length} calls; ${result.failures} failed); ` +
      `machine load ${result.loadavg1.toFixed(1)} (1-min avg) during the calls`);
    return result;
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}

// ---- main ------------------------------------------------------------------

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  if (opts.jitter) {
    const { printJitterBench, runJitterBench } = await import('./jitter.js');
    printJitterBench(runJitterBench(20, 60), 20, 60);
    return;
  }
  if (opts.path) {
    // One process per run: each starts from a fresh heap and its own JIT state.
    for (const calls of opts.calls) {
      for (const format of opts.formats) {
        execFileSync(process.execPath, [...TSX, join(ROOT, 'bench', 'bridge-path.ts'), '--calls', String(calls), '--format', format], { cwd: ROOT, stdio: 'inherit' });
      }
    }
    return;
  }
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  // What the build in BUILD_DIR was made from (kept next to it, so --no-build reports the right thing).
  const buildInfo = join(BUILD_DIR, 'bench-build.json');
  if (opts.build) {
    const git = { ...gitState(opts.ref), ref: opts.ref ?? 'work tree', builtAt: new Date().toISOString() };
    build(opts.ref);
    writeFileSync(buildInfo, JSON.stringify(git) + '\n');
  } else if (!existsSync(join(BUILD_DIR, 'src', 'main.js'))) {
    throw new Error(`--no-build but ${BUILD_DIR} has no build`);
  }
  const git: unknown = existsSync(buildInfo) ? JSON.parse(readFileSync(buildInfo, 'utf8')) : 'unknown (built before build info was recorded)';
  const scenarios: ScenarioResult[] = [];
  const summaries: Summary[] = [];
  const startedAt = new Date().toISOString();
  const loadBefore = os.loadavg();
  if (opts.firstWords > 0) {
    const fw = await runFirstWords(opts);
    const report = { startedAt, finishedAt: new Date().toISOString(), measured: git, machine: { cpus: os.cpus().length, node: process.version, loadavgBefore: loadBefore, loadavgAfter: os.loadavg() }, firstWords: fw };
    mkdirSync(dirname(opts.out), { recursive: true });
    writeFileSync(opts.out, JSON.stringify(report, null, 2) + '\n');
    console.log(`\nwrote ${opts.out}`);
    return;
  }
  for (const calls of opts.calls) {
    const baselines: ScenarioResult[] = [];
    if (opts.baseline) {
      for (let i = 0; i < opts.repeat; i++) baselines.push(await runScenario('relay', 'ulaw_8000', calls, opts, `relay-${calls}-${i}`));
      scenarios.push(...baselines);
    }
    const pcmRelays: ScenarioResult[] = [];
    if (opts.baseline && opts.pcmRelay && opts.formats.includes('pcm_16000')) {
      for (let i = 0; i < opts.repeat; i++) pcmRelays.push(await runScenario('relay', 'pcm_16000', calls, opts, `relay-pcm-${calls}-${i}`));
      scenarios.push(...pcmRelays);
    }
    for (const format of opts.formats) {
      const runs: ScenarioResult[] = [];
      for (let i = 0; i < opts.repeat; i++) runs.push(await runScenario('bridge', format, calls, opts, `bridge-${format}-${calls}-${i}`));
      scenarios.push(...runs);
      summaries.push(summarize(format, calls, runs, baselines, format === 'pcm_16000' ? pcmRelays : []));
    }
  }
  printSummary(summaries);
  const report = {
    startedAt, finishedAt: new Date().toISOString(),
    measured: git,
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGb: os.totalmem() / 2 ** 30, node: process.version, loadavgBefore: loadBefore, loadavgAfter: os.loadavg() },
    options: { ...opts, out: undefined },
    targets: TARGETS,
    summaries,
    scenarios,
  };
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, JSON.stringify(report, null, 2) + '\n');
  console.log(`\nwrote ${opts.out}`);
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
