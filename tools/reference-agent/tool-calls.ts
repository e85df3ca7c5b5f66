/**
 * Client tool calls in flight: `client_tool_call` out, `client_tool_result` back,
 * matched by `tool_call_id` (§4.3–4.4). A call that gets no answer in time fails,
 * like the real service's `response_timeout_secs` (§6.4, default 20 s).
 */
import { randomBytes } from 'node:crypto';
import type { TimerBag } from './timers.js';

export interface ClientToolResult {
  toolCallId: string;
  toolName: string;
  result: string;
  isError: boolean;
  at: number;
}

interface Pending {
  toolName: string;
  resolve(r: ClientToolResult): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout | undefined;
}

export class ToolCalls {
  readonly results: ClientToolResult[] = [];
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly timers: TimerBag) {}

  open(toolName: string, timeoutMs: number): { toolCallId: string; result: Promise<ClientToolResult> } {
    const toolCallId = `toolu_${randomBytes(8).toString('hex')}`;
    const result = new Promise<ClientToolResult>((resolve, reject) => {
      const timer = this.timers.after(timeoutMs, () => {
        this.pending.delete(toolCallId);
        reject(new Error(`client tool ${toolName} (${toolCallId}) got no result within ${timeoutMs} ms`));
      });
      this.pending.set(toolCallId, { toolName, resolve, reject, timer });
    });
    return { toolCallId, result };
  }

  /** Returns false when the id matches no call in flight (the caller records it). */
  settle(toolCallId: string, result: string, isError: boolean, at: number): boolean {
    const p = this.pending.get(toolCallId);
    if (!p) return false;
    this.pending.delete(toolCallId);
    this.timers.cancel(p.timer);
    const r: ClientToolResult = { toolCallId, toolName: p.toolName, result, isError, at };
    this.results.push(r);
    p.resolve(r);
    return true;
  }

  rejectAll(reason: string): void {
    for (const [id, p] of this.pending) {
      this.timers.cancel(p.timer);
      p.reject(new Error(`client tool ${p.toolName} (${id}): ${reason}`));
    }
    this.pending.clear();
  }
}
