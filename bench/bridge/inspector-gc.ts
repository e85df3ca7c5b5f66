/**
 * Soak only: a full garbage collection in the bridge process before each
 * sample, through the V8 inspector (`--inspect=127.0.0.1:PORT`, the bench's
 * own flag, never the product's). The JS heap of a busy process is a sawtooth
 * of 60-180 MB between collections, so a slope fitted to plain samples says
 * when V8 happened to collect, not whether anything is retained; heap used
 * right after a full collection is what a leak makes grow.
 */
import WebSocket from 'ws';

export interface InspectorGc {
  collect(): Promise<void>;
  close(): void;
}

export async function connectInspectorGc(port: number): Promise<InspectorGc> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
  const wsUrl = targets[0]?.webSocketDebuggerUrl;
  if (!wsUrl) throw new Error(`no inspector target on port ${port}`);
  const ws = new WebSocket(wsUrl);
  await new Promise<void>((res, rej) => {
    ws.once('open', () => res());
    ws.once('error', rej);
  });
  let nextId = 1;
  const pending = new Map<number, (error?: string) => void>();
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as { id?: number; error?: { message: string } };
    if (msg.id === undefined) return;
    pending.get(msg.id)?.(msg.error?.message);
    pending.delete(msg.id);
  });
  const call = (method: string): Promise<void> =>
    new Promise((res, rej) => {
      const id = nextId++;
      pending.set(id, (error) => (error ? rej(new Error(`${method}: ${error}`)) : res()));
      ws.send(JSON.stringify({ id, method }));
    });
  return { collect: () => call('HeapProfiler.collectGarbage'), close: () => ws.close() };
}
