import iconv from 'iconv-lite';
import type { TextEncoding } from './types.js';

export interface DecodedText {
  text: string;
  encoding: TextEncoding;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Bytes to text. Auto mode: a BOM decides; otherwise valid UTF-8 is UTF-8 and
 * anything else is taken as Windows-1252, which is what Excel's plain "CSV"
 * export writes on Western systems (é = 0xE9, € = 0x80). The check is sound in
 * practice: cp1252 text with accents is almost never valid UTF-8 by accident.
 */
export function decodeText(bytes: Uint8Array, requested: 'auto' | TextEncoding = 'auto'): DecodedText {
  const bom = bomEncoding(bytes);
  const encoding = requested === 'auto' ? (bom?.encoding ?? sniff(bytes)) : requested;
  const skip = bom && bom.encoding === encoding ? bom.length : 0;
  const body = bytes.subarray(skip);
  const text = encoding === 'utf-8' ? Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8') : iconv.decode(Buffer.from(body), encoding);
  // A BOM may survive a forced encoding that did not match it.
  return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, encoding };
}

function bomEncoding(bytes: Uint8Array): { encoding: TextEncoding; length: number } | undefined {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { encoding: 'utf-8', length: 3 };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'utf-16le', length: 2 };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'utf-16be', length: 2 };
  return undefined;
}

function sniff(bytes: Uint8Array): TextEncoding {
  try {
    strictUtf8.decode(bytes);
    return 'utf-8';
  } catch {
    return 'windows-1252';
  }
}
