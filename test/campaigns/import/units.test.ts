import { describe, expect, it } from 'vitest';
import { numberText, spreadsheetCellText } from '../../../src/campaigns/import/cells.js';
import { decodeText } from '../../../src/campaigns/import/decode.js';
import { detectDelimiter } from '../../../src/campaigns/import/delimiter.js';
import { columnLetter } from '../../../src/campaigns/import/header.js';
import { expandScientific, PhoneNormalizer } from '../../../src/campaigns/import/phone.js';
import { canonicalTimeZone, timeZoneForCountry } from '../../../src/campaigns/import/timezone.js';

describe('numberText', () => {
  it('writes spreadsheet numbers as the digits the user typed', () => {
    expect(numberText(14155550123)).toBe('14155550123');
    expect(numberText(Number('1.4155550123E10'))).toBe('14155550123');
    expect(numberText(14155550122.999998)).toBe('14155550123');
    expect(numberText(0.1 + 0.2)).toBe('0.3');
    expect(numberText(1e21)).toBe('1000000000000000000000');
    expect(numberText(-12.5)).toBe('-12.5');
  });

  it('reads exceljs value shapes', () => {
    expect(spreadsheetCellText({ error: '#N/A' })).toBe('#N/A');
    expect(spreadsheetCellText({ formula: 'A1', result: { richText: [{ text: 'x' }] } })).toBe('x');
    expect(spreadsheetCellText({ sharedFormula: 'A1' })).toBe('');
    expect(spreadsheetCellText(false)).toBe('false');
  });
});

describe('expandScientific', () => {
  it('restores exact E-notation and refuses shortened numbers', () => {
    expect(expandScientific('1.4155550123E10')).toEqual({ ok: true, digits: '14155550123' });
    expect(expandScientific('1,4155550123E+10')).toEqual({ ok: true, digits: '14155550123' });
    expect(expandScientific('1.41556E+11')).toMatchObject({ ok: false, code: 'scientific_notation' });
    expect(expandScientific('1.5E-3')).toBeUndefined();
    expect(expandScientific('+14155550123')).toBeUndefined();
  });
});

describe('PhoneNormalizer', () => {
  it('normalises national, international and 00-prefixed forms to E.164', () => {
    const fr = new PhoneNormalizer('fr');
    for (const raw of ['06 12 34 56 78', '+33 (0)6 12 34 56 78', '0033612345678', '+33.6.12.34.56.78', '33612345678']) {
      expect(fr.normalize(raw)).toEqual({ ok: true, e164: '+33612345678', country: 'FR' });
    }
  });

  it('checks the digits against the number plan, not just the length (max metadata)', () => {
    const us = new PhoneNormalizer('US');
    expect(us.normalize('+1 000 000 0000')).toMatchObject({ ok: false, code: 'invalid_phone' });
    expect(us.normalize('+44 7700 900123')).toMatchObject({ ok: false, reason: '"+44 7700 900123" is not a valid number for +44' });
    expect(us.normalize('+1 415 555 26')).toMatchObject({ ok: false, code: 'invalid_phone' });
    expect(us.normalize('415 555 2671 ext. 3')).toMatchObject({ ok: true, e164: '+14155552671' });
    expect(() => new PhoneNormalizer('XX')).toThrow(/unknown default region/);
  });
});

describe('time zones', () => {
  it('canonicalises IANA names and refuses unknown ones', () => {
    expect(canonicalTimeZone('europe/paris')).toBe('Europe/Paris');
    expect(canonicalTimeZone('America/New_York')).toBe('America/New_York');
    expect(canonicalTimeZone('Mars/Base')).toBeNull();
    // Current IANA names stay as written (ICU would give the legacy Asia/Calcutta, Europe/Kiev).
    expect(canonicalTimeZone('Asia/Kolkata')).toBe('Asia/Kolkata');
    expect(canonicalTimeZone('Europe/Kyiv')).toBe('Europe/Kyiv');
    expect(canonicalTimeZone('Asia/Calcutta')).toBe('Asia/Calcutta');
  });

  it('derives a zone only for countries on one clock', () => {
    expect(timeZoneForCountry('FR')).toBe('Europe/Paris');
    expect(timeZoneForCountry('DE')).toBe('Europe/Berlin');
    expect(timeZoneForCountry('JP')).toBe('Asia/Tokyo');
    expect(timeZoneForCountry('US')).toBeNull();
    expect(timeZoneForCountry('ES')).toBeNull();
    expect(timeZoneForCountry('AU')).toBeNull();
  });
});

describe('text helpers', () => {
  it('detects the separator outside quotes on the header line only', () => {
    expect(detectDelimiter('"a,b";c;d\n1,2,3,4,5')).toBe(';');
    expect(detectDelimiter('a\tb\tc')).toBe('\t');
    expect(detectDelimiter('phone_number\n1;2')).toBe(',');
  });

  it('decodes by BOM, valid UTF-8, else Windows-1252', () => {
    expect(decodeText(new Uint8Array([0xef, 0xbb, 0xbf, 0x41]))).toEqual({ text: 'A', encoding: 'utf-8' });
    expect(decodeText(new Uint8Array([0x5a, 0x6f, 0xe9, 0x20, 0x80]))).toEqual({ text: 'Zoé €', encoding: 'windows-1252' });
    expect(decodeText(new Uint8Array([0x5a, 0x6f, 0xc3, 0xa9]))).toEqual({ text: 'Zoé', encoding: 'utf-8' });
    expect(decodeText(new Uint8Array([0xfe, 0xff, 0x00, 0x5a, 0x00, 0xe9]))).toEqual({ text: 'Zé', encoding: 'utf-16be' });
  });

  it('names columns like a spreadsheet', () => {
    expect([0, 25, 26, 27, 701, 702].map(columnLetter)).toEqual(['A', 'Z', 'AA', 'AB', 'ZZ', 'AAA']);
  });
});
