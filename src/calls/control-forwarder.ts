import { createHash, randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { ControlReply, ControlRequest } from '../http/live-control.js';
import type { Logger } from '../logger.js';
import type { Database } from '../store/schema.js';

interface Envelope {
  kind: 'request' | 'reply';
  id: string;
}

/** The channel an instance listens on: a fixed-size, lower-case identifier whatever INSTANCE_ID holds. */
export function controlChannel(instanceId: string): string {
  return `bridge_ctl_${createHash('sha256').update(instanceId).digest('hex').slice(0, 32)}`;
}

/**
 * Live control across instances on PostgreSQL: the request is written to
 * `call_control` and the holder is woken with NOTIFY on its channel; it runs
 * the request as if it had come to its own API, writes the answer into the
 * row and NOTIFYs the asker's channel. The row (not the NOTIFY payload,
 * capped at 8000 bytes) carries the body, so a 4000-character message in any
 * script fits. LISTEN needs its own connection, kept open for the instance's
 * life; a pool connection could be handed back and lose the subscription.
 */
export class PgControlForwarder {
  private client: pg.Client | undefined;
  private readonly pending = new Map<string, (reply: ControlReply) => void>();
  private readonly channel: string;

  constructor(
    private readonly o: {
      db: Kysely<Database>; connection: pg.ClientConfig; instanceId: string; log: Logger; timeoutMs: number;
      /** Runs a request here; undefined when this instance does not hold the call (any more). */
      local: (req: ControlRequest) => ControlReply | undefined | Promise<ControlReply | undefined>;
    },
  ) {
    this.channel = controlChannel(o.instanceId);
  }

  async start(): Promise<void> {
    const client = new pg.Client(this.o.connection);
    await client.connect();
    client.on('notification', (n) => void this.onNotification(n.payload ?? '').catch((err: Error) => this.o.log.warn({ err: err.message }, 'control request failed')));
    client.on('error', (err) => this.o.log.error({ err: err.message }, 'control channel connection failed'));
    await client.query(`LISTEN "${this.channel}"`);
    this.client = client;
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
    for (const [id, resolve] of this.pending) resolve(unreachable(`instance stopping (request ${id})`));
    this.pending.clear();
  }

  /** Asks `target` to run `req`; its answer, or 503 when it does not answer in time. */
  async forward(target: string, req: ControlRequest): Promise<ControlReply> {
    const id = randomUUID();
    const answered = new Promise<ControlReply>((resolve) => this.pending.set(id, resolve));
    const timer = setTimeout(() => this.pending.get(id)?.(unreachable(`the instance holding call ${req.callId} did not answer`)), this.o.timeoutMs);
    try {
      await this.o.db.insertInto('call_control').values({ id, target, request: JSON.stringify({ ...req, replyTo: this.o.instanceId }), reply: null, created_at: Date.now() }).execute();
      await this.notify(controlChannel(target), { kind: 'request', id });
      return await answered;
    } finally {
      clearTimeout(timer);
      this.pending.delete(id);
      await this.o.db.deleteFrom('call_control').where('id', '=', id).execute().catch(() => undefined);
    }
  }

  private async onNotification(payload: string): Promise<void> {
    const msg = JSON.parse(payload) as Envelope;
    const row = await this.o.db.selectFrom('call_control').selectAll().where('id', '=', msg.id).executeTakeFirst();
    if (!row) return;
    if (msg.kind === 'reply') {
      if (row.reply) this.pending.get(msg.id)?.(JSON.parse(row.reply) as ControlReply);
      return;
    }
    const req = JSON.parse(row.request) as ControlRequest & { replyTo: string };
    const reply = (await this.o.local(req)) ?? { status: 404, body: { error: { code: 'not-found', message: `no live call ${req.callId}` } } };
    await this.o.db.updateTable('call_control').set({ reply: JSON.stringify(reply) }).where('id', '=', msg.id).execute();
    await this.notify(controlChannel(req.replyTo), { kind: 'reply', id: msg.id });
  }

  private async notify(channel: string, envelope: Envelope): Promise<void> {
    await sql`select pg_notify(${channel}, ${JSON.stringify(envelope)})`.execute(this.o.db);
  }
}

function unreachable(message: string): ControlReply {
  return { status: 503, body: { error: { code: 'holder-unreachable', message } } };
}
