/**
 * One EventSource for the whole dashboard (GET /events, Server-Sent Events):
 * the browser reconnects by itself; nothing here polls.
 */
import { useEffect, useRef, useState } from 'preact/hooks';

const EVENTS = ['calls', 'call', 'call-ended', 'transcript', 'campaign'];
const handlers = new Map(EVENTS.map((e) => [e, new Set()]));
const connectionWatchers = new Set();
let connection = 'connecting';
let source;

/** Live calls on this bridge, kept from the stream: id → view. */
export const liveCalls = new Map();
/** Live transcripts, id → entries. */
export const liveTranscripts = new Map();

function setConnection(state) {
  connection = state;
  for (const w of connectionWatchers) w(state);
}

function dispatch(type, data) {
  if (type === 'calls') {
    liveCalls.clear();
    for (const c of data.calls) liveCalls.set(c.id, c);
  } else if (type === 'call') liveCalls.set(data.id, { ...liveCalls.get(data.id), ...data });
  else if (type === 'call-ended') liveCalls.delete(data.id);
  else if (type === 'transcript') liveTranscripts.set(data.id, data.transcript);
  for (const h of handlers.get(type)) h(data);
}

export function connect() {
  if (source) return;
  source = new EventSource('/events');
  source.onopen = () => setConnection('live');
  source.onerror = () => setConnection(source.readyState === EventSource.CLOSED ? 'offline' : 'reconnecting');
  for (const type of EVENTS) source.addEventListener(type, (e) => dispatch(type, JSON.parse(e.data)));
}

export function disconnect() {
  source?.close();
  source = undefined;
}

/** Calls `handler(data)` for each event of this type while the component is mounted. */
export function useEvent(type, handler) {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    const h = (d) => ref.current(d);
    handlers.get(type).add(h);
    return () => handlers.get(type).delete(h);
  }, [type]);
}

/** Re-renders on any of these events. */
export function useEvents(types) {
  const [, setTick] = useState(0);
  for (const t of types) useEvent(t, () => setTick((n) => n + 1));
}

export function useConnection() {
  const [state, setState] = useState(connection);
  useEffect(() => {
    connectionWatchers.add(setState);
    setState(connection); // it may have changed between the first render and now
    return () => connectionWatchers.delete(setState);
  }, []);
  return state;
}

/** A clock for displaying durations (re-renders every second; no request is made). */
export function useNow(active = true) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return undefined;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [active]);
  return now;
}
