import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** SIP settings. SIP is off unless DRACHTIO_HOST is set. */
export const sipEnvShape = {
  DRACHTIO_HOST: z.string().min(1).optional(),
  DRACHTIO_PORT: z.coerce.number().int().min(1).max(65535).default(9022),
  DRACHTIO_SECRET: z.string().min(1).default('cymru'),
  SIP_CONFIG_FILE: z.string().min(1).optional(),
  /** The address put in our SDP `c=` lines; behind NAT the public one. */
  SIP_PUBLIC_ADDRESS: z.string().min(1).default('127.0.0.1'),
  RTP_BIND_ADDRESS: z.string().min(1).default('0.0.0.0'),
  RTP_PORT_MIN: z.coerce.number().int().min(1024).max(65534).default(40000),
  RTP_PORT_MAX: z.coerce.number().int().min(1025).max(65535).default(49999),
  RTP_INACTIVITY_SECONDS: z.coerce.number().positive().default(20),
  /** Which provider outbound calls (POST /calls, campaigns) use. */
  OUTBOUND_PROVIDER: z.enum(['twilio', 'sip']).default('twilio'),
  /** SRTP (SDES): `disabled` plain RTP only, `allowed` either (SRTP when offered), `required` SRTP only. Per trunk too. */
  SIP_MEDIA_ENCRYPTION: z.enum(['disabled', 'allowed', 'required']).default('allowed'),
  /** Whether a trunk registration that is not up makes /readyz answer 503. */
  SIP_READY_REQUIRES_REGISTRATION: z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
    .transform((v) => ['true', '1', 'yes', 'on'].includes(v)).default(false),
};

const e164 = z.string().regex(/^\+?\d{3,15}$/);
const credentials = z.object({ username: z.string().min(1), password: z.string().min(1), realm: z.string().optional() });
const transport = z.enum(['udp', 'tcp', 'tls']);
const mediaEncryption = z.enum(['disabled', 'allowed', 'required']);

/** REGISTER client for one trunk (RFC 3261 §10): the bridge as a registered extension / registration-based trunk. */
const registration = z.object({
  username: z.string().min(1),
  password: z.string().min(1),
  /** Digest user name when it differs from the AOR user (many PBXs: an auth id). */
  authUsername: z.string().min(1).optional(),
  /** Host of the address of record (To/From); default the registrar's host. */
  domain: z.string().min(1).optional(),
  /** `host[:port]` to send REGISTER to; default the trunk's outbound host/port. */
  registrar: z.string().min(1).optional(),
  transport: transport.optional(),
  /** Requested binding lifetime in seconds (RFC 3261 §10.2.1); the registrar may shorten it. */
  expires: z.number().int().min(60).max(86_400).default(3600),
  /** User part of our Contact (default `username`): inbound calls to it are routed as this trunk's. */
  contactUser: z.string().min(1).optional(),
});

/** SIP_CONFIG_FILE: trunks (inbound allowlist / digest, outbound targets) and number → agent routing. */
const sipFileSchema = z.object({
  trunks: z.array(z.object({
    id: z.string().min(1),
    /** Overrides SIP_MEDIA_ENCRYPTION for calls on this trunk. */
    mediaEncryption: mediaEncryption.optional(),
    register: registration.optional(),
    inbound: z.object({ allowedCidrs: z.array(z.string()).default([]), credentials: credentials.optional() }).optional(),
    outbound: z.object({
      host: z.string().min(1), port: z.number().int().optional(), transport: transport.optional(),
      credentials: credentials.optional(), headers: z.record(z.string(), z.string()).optional(),
      callerId: z.string().optional(), callerName: z.string().optional(), fromDomain: z.string().optional(),
      numberFormat: z.enum(['e164', 'e164-no-plus', 'national', 'as-is']).optional(), countryCode: z.string().optional(),
    }).optional(),
  }).refine((t) => !t.register || t.register.registrar || t.outbound, { message: 'register needs `registrar` or an `outbound` host', path: ['register'] }))
    .default([]),
  routes: z.object({
    byNumber: z.record(e164, z.string().min(1)).default({}),
    byTrunk: z.record(z.string(), z.string().min(1)).optional(),
    defaultAgentId: z.string().min(1).optional(),
  }).default({ byNumber: {} }),
  /** Trunk used for outbound calls and bridged transfers when OUTBOUND_PROVIDER=sip. */
  outboundTrunk: z.string().min(1).optional(),
  /** Host part of Refer-To URIs for blind transfers (default: the outbound trunk's host). */
  referDomain: z.string().min(1).optional(),
});
export type SipFile = z.infer<typeof sipFileSchema>;

export interface SipConfig {
  drachtio?: { host: string; port: number; secret: string };
  publicAddress: string;
  rtp: { bindAddress: string; portMin: number; portMax: number; inactivityMs: number };
  outboundProvider: 'twilio' | 'sip';
  /** Default for trunks without their own `mediaEncryption`. */
  mediaEncryption: 'disabled' | 'allowed' | 'required';
  readyRequiresRegistration: boolean;
  file: SipFile;
}

const sipEnv = z.object(sipEnvShape);
type SipEnv = z.infer<typeof sipEnv>;

export function sipProblems(e: SipEnv): string[] {
  const problems: string[] = [];
  if (e.RTP_PORT_MIN >= e.RTP_PORT_MAX) problems.push('RTP_PORT_MIN: must be below RTP_PORT_MAX');
  if (e.OUTBOUND_PROVIDER === 'sip' && !e.DRACHTIO_HOST) problems.push('OUTBOUND_PROVIDER: sip needs DRACHTIO_HOST');
  return problems;
}

export function sipConfig(e: SipEnv): SipConfig {
  return {
    drachtio: e.DRACHTIO_HOST ? { host: e.DRACHTIO_HOST, port: e.DRACHTIO_PORT, secret: e.DRACHTIO_SECRET } : undefined,
    publicAddress: e.SIP_PUBLIC_ADDRESS,
    rtp: { bindAddress: e.RTP_BIND_ADDRESS, portMin: e.RTP_PORT_MIN, portMax: e.RTP_PORT_MAX, inactivityMs: e.RTP_INACTIVITY_SECONDS * 1000 },
    outboundProvider: e.OUTBOUND_PROVIDER,
    mediaEncryption: e.SIP_MEDIA_ENCRYPTION,
    readyRequiresRegistration: e.SIP_READY_REQUIRES_REGISTRATION,
    file: e.SIP_CONFIG_FILE ? loadSipFile(e.SIP_CONFIG_FILE) : sipFileSchema.parse({}),
  };
}

function loadSipFile(path: string): SipFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`SIP_CONFIG_FILE ${path}: ${(err as Error).message}`);
  }
  const parsed = sipFileSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`SIP_CONFIG_FILE ${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
