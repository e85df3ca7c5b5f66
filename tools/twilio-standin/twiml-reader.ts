/**
 * Reads TwiML the way Twilio's voice engine sees it: an ordered list of verbs under
 * <Response> (https://www.twilio.com/docs/voice/twiml). Unknown verbs and nouns are
 * reported in `unknown` and kept as `Unknown` steps; Twilio itself would fail the call
 * with error 12100/12200, so tests can assert on that instead of crashing here.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export type Attributes = Record<string, string>;

export interface TwimlStream {
  url: string;
  name?: string;
  track?: string;
  statusCallback?: string;
  statusCallbackMethod?: string;
  /** `<Parameter name value>` pairs, delivered to the socket in `start.customParameters`. */
  parameters: Record<string, string>;
  attributes: Attributes;
}

export interface TwimlNumber {
  number: string;
  /** Whisper TwiML run on the called party before bridging (§3.5). */
  url?: string;
  method?: string;
  attributes: Attributes;
}

export type TwimlVerb =
  | { verb: 'Connect'; action?: string; method?: string; stream?: TwimlStream; attributes: Attributes }
  | { verb: 'Say'; text: string; voice?: string; language?: string; loop: number; attributes: Attributes }
  | { verb: 'Play'; url: string; loop: number; digits?: string; attributes: Attributes }
  | { verb: 'Pause'; lengthSec: number; attributes: Attributes }
  | { verb: 'Hangup'; attributes: Attributes }
  | { verb: 'Redirect'; url: string; method?: string; attributes: Attributes }
  | { verb: 'Dial'; action?: string; method?: string; numbers: TwimlNumber[]; text?: string; attributes: Attributes }
  | TwimlGather
  | { verb: 'Unknown'; name: string; attributes: Attributes };

/**
 * `<Gather>` (TwiML <Gather> reference): nested Say/Play/Pause are the prompt; then Twilio waits
 * `timeout` seconds (default 5) for `numDigits` keys; with digits it requests `action` (default:
 * the current document) with `Digits`; without, it runs the next verb (or requests `action` with
 * empty Digits when actionOnEmptyResult="true").
 */
export interface TwimlGather {
  verb: 'Gather';
  action?: string;
  method?: string;
  numDigits?: number;
  timeoutSec: number;
  finishOnKey: string;
  actionOnEmptyResult: boolean;
  input?: string;
  prompt: TwimlVerb[];
  attributes: Attributes;
}

export interface TwimlDocument {
  verbs: TwimlVerb[];
  /** Human-readable notes for anything not understood, e.g. `verb <Gather>`, `noun <Room> in <Connect>`. */
  unknown: string[];
}

export class TwimlError extends Error {
  override readonly name = 'TwimlError';
}

/** One element in fast-xml-parser's preserveOrder shape: `{ Tag: children, ':@'?: attrs }`. */
type OrderedNode = Record<string, unknown> & { ':@'?: Attributes };

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  // Keep "+15551234567" and "007" as strings: TwiML values are text.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

function tagOf(node: OrderedNode): string {
  return Object.keys(node).find((k) => k !== ':@') ?? '';
}

function childrenOf(node: OrderedNode): OrderedNode[] {
  const v = node[tagOf(node)];
  return Array.isArray(v) ? (v as OrderedNode[]) : [];
}

function textOf(node: OrderedNode): string {
  return childrenOf(node)
    .filter((c) => tagOf(c) === '#text')
    .map((c) => String(c['#text']))
    .join(' ')
    .trim();
}

function elements(nodes: OrderedNode[]): OrderedNode[] {
  return nodes.filter((n) => {
    const t = tagOf(n);
    return t !== '#text' && t !== '#comment' && !t.startsWith('?');
  });
}

function positiveInt(value: string | undefined, fallback: number): number {
  const n = value === undefined ? NaN : Number(value);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

function readStream(node: OrderedNode, unknown: string[]): TwimlStream {
  const a = node[':@'] ?? {};
  const parameters: Record<string, string> = {};
  for (const child of elements(childrenOf(node))) {
    const ca = child[':@'] ?? {};
    if (tagOf(child) === 'Parameter' && ca.name !== undefined) parameters[ca.name] = ca.value ?? '';
    else unknown.push(`noun <${tagOf(child)}> in <Stream>`);
  }
  if (!a.url) unknown.push('<Stream> without url');
  return {
    url: a.url ?? '',
    name: a.name,
    track: a.track,
    statusCallback: a.statusCallback,
    statusCallbackMethod: a.statusCallbackMethod,
    parameters,
    attributes: a,
  };
}

function readConnect(node: OrderedNode, a: Attributes, unknown: string[]): TwimlVerb {
  let stream: TwimlStream | undefined;
  for (const child of elements(childrenOf(node))) {
    if (tagOf(child) === 'Stream' && !stream) stream = readStream(child, unknown);
    else unknown.push(`noun <${tagOf(child)}> in <Connect>`);
  }
  return { verb: 'Connect', action: a.action, method: a.method, stream, attributes: a };
}

function readDial(node: OrderedNode, a: Attributes, unknown: string[]): TwimlVerb {
  const numbers: TwimlNumber[] = [];
  for (const child of elements(childrenOf(node))) {
    const ca = child[':@'] ?? {};
    if (tagOf(child) === 'Number') numbers.push({ number: textOf(child), url: ca.url, method: ca.method, attributes: ca });
    else unknown.push(`noun <${tagOf(child)}> in <Dial>`);
  }
  const text = textOf(node) || undefined;
  return { verb: 'Dial', action: a.action, method: a.method, numbers, text, attributes: a };
}

const GATHER_NESTABLE = new Set(['Say', 'Play', 'Pause']);

function readGather(node: OrderedNode, a: Attributes, unknown: string[]): TwimlGather {
  const prompt: TwimlVerb[] = [];
  for (const child of elements(childrenOf(node))) {
    if (GATHER_NESTABLE.has(tagOf(child))) prompt.push(readVerb(child, unknown));
    else unknown.push(`verb <${tagOf(child)}> in <Gather>`);
  }
  const numDigits = a.numDigits === undefined ? undefined : positiveInt(a.numDigits, 1);
  return {
    verb: 'Gather',
    action: a.action,
    method: a.method,
    numDigits,
    timeoutSec: positiveInt(a.timeout, 5),
    finishOnKey: a.finishOnKey ?? '#',
    actionOnEmptyResult: a.actionOnEmptyResult === 'true',
    input: a.input,
    prompt,
    attributes: a,
  };
}

function readVerb(node: OrderedNode, unknown: string[]): TwimlVerb {
  const name = tagOf(node);
  const a = node[':@'] ?? {};
  switch (name) {
    case 'Connect':
      return readConnect(node, a, unknown);
    case 'Dial':
      return readDial(node, a, unknown);
    case 'Gather':
      return readGather(node, a, unknown);
    case 'Say':
      return { verb: 'Say', text: textOf(node), voice: a.voice, language: a.language, loop: positiveInt(a.loop, 1), attributes: a };
    case 'Play':
      return { verb: 'Play', url: textOf(node), loop: positiveInt(a.loop, 1), digits: a.digits, attributes: a };
    case 'Pause':
      // <Pause> defaults to 1 second (TwiML <Pause> reference).
      return { verb: 'Pause', lengthSec: positiveInt(a.length, 1), attributes: a };
    case 'Hangup':
      return { verb: 'Hangup', attributes: a };
    case 'Redirect':
      return { verb: 'Redirect', url: textOf(node), method: a.method, attributes: a };
    default:
      unknown.push(`verb <${name}>`);
      return { verb: 'Unknown', name, attributes: a };
  }
}

export function parseTwiml(xml: string): TwimlDocument {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new TwimlError(`TwiML is not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  }
  const roots = elements(parser.parse(xml) as OrderedNode[]);
  const root = roots[0];
  if (!root || tagOf(root) !== 'Response') {
    throw new TwimlError(`TwiML root must be <Response>, got <${root ? tagOf(root) : 'nothing'}>`);
  }
  const unknown: string[] = [];
  const verbs = elements(childrenOf(root)).map((n) => readVerb(n, unknown));
  return { verbs, unknown };
}
