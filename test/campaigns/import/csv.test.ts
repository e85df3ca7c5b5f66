import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { ImportFileError, importCsv, type ImportOptions } from '../../../src/campaigns/import/index.js';

const utf8 = (text: string) => new TextEncoder().encode(text);
const crlf = (lines: string[]) => lines.join('\r\n') + '\r\n';

function fileError(run: () => unknown): ImportFileError {
  try {
    run();
  } catch (error) {
    if (error instanceof ImportFileError) return error;
    throw error;
  }
  throw new Error('expected an ImportFileError');
}

describe('importCsv: a messy UTF-8 export with BOM, quotes, blank lines and bad rows', () => {
  const file = utf8(
    '\uFEFF' +
      crlf([
        ' Phone_Number ,name,notes,language,first_message,system_prompt,voice_id,timezone', // row 1
        '(415) 555-2671,Ana,"Likes ""quotes"", commas",fr,"Bonjour, Ana!\r\nSecond line",,v_1,', // row 2
        '+33 6 12 34 56 78,Zoé,,,,Be brief,,europe/paris', // 3
        '', // 4: blank
        '415.555.2671,Dup,,,,,,', // 5: duplicate of row 2
        '12345,Bad,,,,,,', // 6
        ',NoPhone,,,,,,', // 7
        '+44 20 7946 0958,Extra,,,,,,,surplus', // 8: value past the last column
        '+49 151 23456789,Short', // 9
        '+44 20 7946 0958,Tom,,,,,,Mars/Base', // 10
        '1.41555526E+10,Sci,,,,,,', // 11: Excel dropped digits
        '+44 20 7946 0958,Tim,,,,,,,,', // 12: trailing empty cells are harmless
        ',,,,,,,', // 13: an Excel "empty" row
        '+4915123456789, Max ,,,,,,', // 14
      ]),
  );
  const result = importCsv(file, { defaultRegion: 'US' });

  it('detects the encoding and separator and reports the columns as written', () => {
    expect(result.encoding).toBe('utf-8');
    expect(result.delimiter).toBe(',');
    expect(result.format).toBe('csv');
    expect(result.columns).toEqual(['Phone_Number', 'name', 'notes', 'language', 'first_message', 'system_prompt', 'voice_id', 'timezone']);
  });

  it('keeps exactly the valid rows, with variables, overrides and time zones', () => {
    expect(result.recipients).toEqual([
      {
        rowNumber: 2,
        phoneNumber: '+14155552671',
        variables: { name: 'Ana', notes: 'Likes "quotes", commas' },
        overrides: { agent: { language: 'fr', first_message: 'Bonjour, Ana!\r\nSecond line' }, tts: { voice_id: 'v_1' } },
        timezone: null, // the US spans several zones
      },
      {
        rowNumber: 3,
        phoneNumber: '+33612345678',
        variables: { name: 'Zoé', notes: '' },
        overrides: { agent: { prompt: { prompt: 'Be brief' } } },
        timezone: 'Europe/Paris',
      },
      { rowNumber: 12, phoneNumber: '+442079460958', variables: { name: 'Tim', notes: '' }, timezone: 'Europe/London' },
      { rowNumber: 14, phoneNumber: '+4915123456789', variables: { name: 'Max', notes: '' }, timezone: 'Europe/Berlin' },
    ]);
  });

  it('lists one error per bad row, numbered as the spreadsheet shows them', () => {
    expect(result.errors.map(({ rowNumber, code }) => [rowNumber, code])).toEqual([
      [6, 'invalid_phone'],
      [7, 'missing_phone'],
      [8, 'extra_cells'],
      [9, 'missing_cells'],
      [10, 'invalid_timezone'],
      [11, 'scientific_notation'],
    ]);
    const reason = (row: number) => result.errors.find((e) => e.rowNumber === row)!.reason;
    expect(reason(6)).toContain('"12345"');
    expect(reason(8)).toMatch(/column I/);
    expect(reason(9)).toBe('the row has 2 cells but the header has 8 columns');
    expect(reason(10)).toContain('Mars/Base');
    expect(reason(11)).toMatch(/format the column as Text/);
  });

  it('reports duplicates by E.164 and keeps the first', () => {
    expect(result.duplicates).toEqual([{ rowNumber: 5, phoneNumber: '+14155552671', firstRowNumber: 2 }]);
  });
});

describe('importCsv: Excel "CSV" export in Windows-1252 with semicolons', () => {
  const cp1252 = iconv.encode(crlf(['phone_number;name;city', '06 12 34 56 78;Zoé;Besançon', '+33 6 98 76 54 32;€ price;"a;b"']), 'win1252');

  it('holds the raw bytes we think it does', () => {
    expect([...cp1252.subarray(40, 50)]).toContain(0xe9);
    expect(cp1252.includes(0x80)).toBe(true);
  });

  it('decodes é and € and splits on ;', () => {
    const result = importCsv(cp1252, { defaultRegion: 'FR' });
    expect(result).toMatchObject({ encoding: 'windows-1252', delimiter: ';', errors: [], duplicates: [] });
    expect(result.recipients).toEqual([
      { rowNumber: 2, phoneNumber: '+33612345678', variables: { name: 'Zoé', city: 'Besançon' }, timezone: 'Europe/Paris' },
      { rowNumber: 3, phoneNumber: '+33698765432', variables: { name: '€ price', city: 'a;b' }, timezone: 'Europe/Paris' },
    ]);
  });

  it('reads the same text saved as UTF-8 identically', () => {
    const text = iconv.decode(cp1252, 'win1252');
    const fromUtf8 = importCsv(utf8(text), { defaultRegion: 'FR' });
    expect(fromUtf8.encoding).toBe('utf-8');
    expect(fromUtf8.recipients).toEqual(importCsv(cp1252, { defaultRegion: 'FR' }).recipients);
  });

  it('honours an explicit encoding and separator', () => {
    const forced = importCsv(utf8('phone_number;name\n+33612345678;Zoé\n'), { encoding: 'windows-1252' });
    expect(forced.recipients[0]!.variables.name).toBe('ZoÃ©');
    const comma = fileError(() => importCsv(cp1252, { delimiter: ',' }));
    expect(comma.code).toBe('missing_phone_column');
  });

  it('reads UTF-16 with a BOM (Excel "Unicode text", tab separated)', () => {
    const bytes = iconv.encode('\uFEFFphone_number\tname\r\n+33612345678\tZoé\r\n', 'utf16le');
    const result = importCsv(bytes);
    expect(result).toMatchObject({ encoding: 'utf-16le', delimiter: '\t' });
    expect(result.recipients[0]).toMatchObject({ phoneNumber: '+33612345678', variables: { name: 'Zoé' } });
  });
});

describe('importCsv: file-level problems', () => {
  it('names duplicate columns, case-insensitively', () => {
    const error = fileError(() => importCsv(utf8('phone_number,name,Name,email,email\n+33612345678,a,b,c,d\n')));
    expect(error.code).toBe('duplicate_columns');
    expect(error.message).toBe('duplicate column names: "name" (columns B, C); "email" (columns D, E)');
  });

  it('requires phone_number and suggests the likely column', () => {
    const error = fileError(() => importCsv(utf8('Phone,name\n+33612345678,a\n')));
    expect(error.code).toBe('missing_phone_column');
    expect(error.message).toContain('rename "Phone" to phone_number');
  });

  it('refuses unnamed middle columns, empty files, broken quoting and oversize files', () => {
    expect(fileError(() => importCsv(utf8('phone_number,,name\n'))).code).toBe('empty_column_name');
    expect(fileError(() => importCsv(utf8('\uFEFF\r\n\r\n'))).code).toBe('empty_file');
    expect(fileError(() => importCsv(utf8('phone_number,name\n+33612345678,"open\n'))).code).toBe('malformed_csv');
    expect(fileError(() => importCsv(utf8('phone_number\n+33612345678\n+33698765432\n'), { maxRows: 1 })).code).toBe('too_many_rows');
  });

  it('in strict mode rejects the whole file and lists every bad row', () => {
    const options: ImportOptions = { strict: true, defaultRegion: 'FR' };
    const file = utf8('phone_number,name\n0612345678,a\nnope,b\n0612345678,c\n,d\n');
    const error = fileError(() => importCsv(file, options));
    expect(error.code).toBe('rejected');
    expect(error.rowErrors.map((e) => e.rowNumber)).toEqual([3, 5]);
    expect(error.duplicates).toEqual([{ rowNumber: 4, phoneNumber: '+33612345678', firstRowNumber: 2 }]);
    expect(error.message).toMatch(/^2 invalid row\(s\)/);
    // Duplicates alone are not invalid rows.
    expect(importCsv(utf8('phone_number\n0612345678\n06 12 34 56 78\n'), options).recipients).toHaveLength(1);
  });

  it('without a default region only accepts international numbers', () => {
    const result = importCsv(utf8('phone_number\n(415) 555-2671\n+1 415 555 2671\n'));
    expect(result.recipients.map((r) => r.phoneNumber)).toEqual(['+14155552671']);
    expect(result.errors[0]).toMatchObject({ rowNumber: 2, code: 'invalid_phone' });
    expect(result.errors[0]!.reason).toMatch(/no country code/);
  });
});
