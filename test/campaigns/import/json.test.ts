import { describe, expect, it } from 'vitest';
import { detectFormat, ImportFileError, importJson, importRecipients } from '../../../src/campaigns/import/index.js';

describe('importJson', () => {
  it('validates JSON recipients exactly like a CSV', () => {
    const result = importJson(
      [
        { phone_number: '+33 6 12 34 56 78', name: 'Zoé', Language: 'fr', first_message: '  ', age: 41, vip: true },
        { phone_number: 33698765432, name: 'Numeric' },
        { phone_number: '06 12 34 56 78', name: 'dup' },
        { phone_number: 'call me', name: 'bad' },
        { phone_number: '+33612345670', tags: ['a'] },
        'not an object',
        {},
      ],
      { defaultRegion: 'FR' },
    );
    expect(result).toMatchObject({ format: 'json', encoding: null, delimiter: null });
    expect(result.columns).toEqual(['phone_number', 'name', 'Language', 'first_message', 'age', 'vip', 'tags']);
    expect(result.recipients).toEqual([
      {
        rowNumber: 1, phoneNumber: '+33612345678', timezone: 'Europe/Paris',
        variables: { name: 'Zoé', age: '41', vip: 'true' }, overrides: { agent: { language: 'fr' } },
      },
      // A key an object lacks is no variable at all (unlike an empty CSV cell).
      { rowNumber: 2, phoneNumber: '+33698765432', timezone: 'Europe/Paris', variables: { name: 'Numeric' } },
    ]);
    expect(result.duplicates).toEqual([{ rowNumber: 3, phoneNumber: '+33612345678', firstRowNumber: 1 }]);
    expect(result.errors).toEqual([
      { rowNumber: 4, code: 'invalid_phone', reason: '"call me" is not a phone number' },
      { rowNumber: 5, code: 'invalid_value', reason: '"tags" must be a string, number or boolean' },
      { rowNumber: 6, code: 'invalid_value', reason: 'the entry is not an object' },
    ]);
  });

  it('accepts JSON text or bytes and refuses non-arrays', async () => {
    const text = JSON.stringify([{ phone_number: '+14155552671' }]);
    expect(importJson(text).recipients).toHaveLength(1);
    const viaUpload = await importRecipients({ data: new TextEncoder().encode(`  ${text}`) });
    expect(viaUpload.format).toBe('json');
    expect(() => importJson({ phone_number: '+1' })).toThrow(ImportFileError);
    expect(() => importJson('[{')).toThrow(/JSON cannot be read/);
  });
});

describe('detectFormat', () => {
  it('uses content first, then the file name', () => {
    expect(detectFormat(new Uint8Array([0x50, 0x4b, 0x03, 0x04]), 'a.csv')).toBe('xlsx');
    expect(detectFormat(new TextEncoder().encode('phone_number\n'), 'a.json')).toBe('json');
    expect(detectFormat(new TextEncoder().encode('phone_number\n'))).toBe('csv');
    expect(() => detectFormat(new Uint8Array([0xd0, 0xcf, 0x11, 0xe0]))).toThrow(/legacy \.xls/);
  });
});
