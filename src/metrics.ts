import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one bridge process (served on GET /metrics). */
export class Metrics {
  readonly registry = new Registry();
  readonly rejected = new Counter({
    name: 'bridge_rejected_messages_total',
    help: 'Inbound messages or requests rejected, by source and reason',
    labelNames: ['source', 'reason'] as const,
    registers: [this.registry],
  });
  readonly callsStarted = new Counter({
    name: 'bridge_calls_started_total',
    help: 'Calls that reached a call session',
    labelNames: ['leg'] as const,
    registers: [this.registry],
  });
  readonly callsEnded = new Counter({
    name: 'bridge_calls_ended_total',
    help: 'Calls ended, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly activeCalls = new Gauge({ name: 'bridge_active_calls', help: 'Calls in progress', registers: [this.registry] });
  readonly droppedFrames = new Counter({
    name: 'bridge_dropped_audio_frames_total',
    help: 'Audio frames dropped on a real-time edge (queue overflow, flood, stale after interruption)',
    labelNames: ['direction', 'cause'] as const,
    registers: [this.registry],
  });
  readonly agentConnectSeconds = new Histogram({
    name: 'bridge_agent_connect_seconds',
    help: 'Time from stream start to the agent conversation being ready',
    buckets: [0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4],
    registers: [this.registry],
  });

  readonly srtpDropped = new Counter({
    name: 'bridge_srtp_dropped_packets_total',
    help: 'Incoming SRTP/SRTCP packets dropped: auth-failed (tampered or wrong key), replayed, too-old, malformed',
    labelNames: ['kind', 'reason'] as const,
    registers: [this.registry],
  });
  readonly sipCallMedia = new Counter({
    name: 'bridge_sip_calls_media_total',
    help: 'Answered SIP calls by signalling transport and media protection (srtp suite or plain rtp)',
    labelNames: ['direction', 'transport', 'media'] as const,
    registers: [this.registry],
  });
  readonly sipRegistrationUp = new Gauge({
    name: 'bridge_sip_registration_up',
    help: '1 while the trunk registration (REGISTER binding) is in force, else 0',
    labelNames: ['trunk'] as const,
    registers: [this.registry],
  });
  readonly sipRegistrationFailures = new Counter({
    name: 'bridge_sip_registration_failures_total',
    help: 'REGISTER attempts that failed (final non-2xx or no response), by trunk',
    labelNames: ['trunk'] as const,
    registers: [this.registry],
  });
  readonly personalization = new Counter({
    name: 'bridge_personalization_requests_total',
    help: 'Conversation initiation webhook requests, by outcome (ok, timeout, error, bad-response)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly personalizationSeconds = new Histogram({
    name: 'bridge_personalization_seconds',
    help: 'Time the conversation initiation webhook took to answer (or fail)',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8],
    registers: [this.registry],
  });

  readonly webhookDeliveries = new Counter({
    name: 'bridge_webhook_deliveries_total',
    help: 'Post-call webhook delivery attempts, by outcome (delivered, retry, gone, expired)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly webhookDeliverySeconds = new Histogram({
    name: 'bridge_webhook_delivery_seconds',
    help: 'Time from the call end (event written) to its delivery',
    buckets: [0.1, 0.5, 1, 5, 30, 120, 600, 3600, 86_400],
    registers: [this.registry],
  });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
