import type { Delimiter } from './types.js';

const CANDIDATES: readonly Delimiter[] = [',', ';', '\t'];

/**
 * Picks the separator from the header line: the candidate that occurs most
 * often outside quotes. Excel writes ';' where the decimal mark is ',' (FR, DE…),
 * so both are common. A single-column file has none and gets ','.
 */
export function detectDelimiter(text: string): Delimiter {
  const counts = new Map<Delimiter, number>(CANDIDATES.map((d) => [d, 0]));
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && counts.has(ch as Delimiter)) counts.set(ch as Delimiter, counts.get(ch as Delimiter)! + 1);
  }
  let best: Delimiter = ',';
  for (const d of CANDIDATES) if (counts.get(d)! > counts.get(best)!) best = d;
  return best;
}
