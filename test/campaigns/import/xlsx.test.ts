import ExcelJS from 'exceljs';
// jszip is exceljs' own reader dependency; used here only to hand-edit the
// sheet XML into the "1.4155550123E10" form Excel itself writes.
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import { ImportFileError, importRecipients, importXlsx } from '../../../src/campaigns/import/index.js';
import { loadTable, streamTable } from '../../../src/campaigns/import/xlsx.js';

async function workbook(rows: unknown[][], sheetName = 'Recipients'): Promise<Uint8Array> {
  const wb = new ExcelJS.Workbook();
  const sheet = wb.addWorksheet(sheetName);
  rows.forEach((cells, i) => {
    if (cells.length > 0) sheet.getRow(i + 1).values = cells as ExcelJS.CellValue[];
  });
  return new Uint8Array(await wb.xlsx.writeBuffer());
}

/**
 * Rebuilds the ZIP entry by entry, in the original order unless `order` says
 * otherwise, optionally editing the sheet XML (as another program would write it).
 */
async function rezip(xlsx: Uint8Array, edit: (xml: string) => string, order = (names: string[]) => names): Promise<Uint8Array> {
  const source = await JSZip.loadAsync(xlsx);
  const target = new JSZip();
  for (const name of order(Object.keys(source.files).filter((n) => !source.files[n]!.dir))) {
    const text = await source.file(name)!.async('string');
    target.file(name, name === 'xl/worksheets/sheet1.xml' ? edit(text) : text);
  }
  return new Uint8Array(await target.generateAsync({ type: 'uint8array', compression: 'DEFLATE' }));
}

function rewriteNumber(from: string, to: string): (xml: string) => string {
  return (xml) => {
    expect(xml).toContain(`<v>${from}</v>`);
    return xml.replace(`<v>${from}</v>`, `<v>${to}</v>`);
  };
}

describe('importXlsx', () => {
  it('turns numeric phone cells into the right digits, never float artefacts', async () => {
    const bytes = await rezip(
      await workbook([
        [' Phone_Number', 'name', 'amount', 'joined', 'language', 'voice_id', 'account'],
        [14155552671, 'Ana', 12.5, new Date(Date.UTC(2024, 0, 15)), 'es', '', 12345678901234],
        [14155552672, 'Sci', 0.1 + 0.2, new Date(Date.UTC(2024, 0, 15, 9, 30)), '', 'v_9', ''],
        [14155552670.999998, 'Artefact', 1e21, true, '', '', ''],
        [{ formula: '14155552600+74', result: 14155552674 }, { richText: [{ text: 'Ri' }, { text: 'ch' }] }, '', '', '', '', ''],
        ['+33 6 12 34 56 78', { text: 'Link', hyperlink: 'https://example.com' }],
      ]),
      rewriteNumber('14155552672', '1.4155552672E10'),
    );
    const result = await importXlsx(bytes, { defaultRegion: 'US' });
    // Same result through both readers: the fast streaming one and the full fallback.
    expect(await streamTable(bytes, {})).toEqual(await loadTable(bytes, {}));
    expect(result).toMatchObject({ format: 'xlsx', encoding: null, delimiter: null, errors: [] });
    expect(result.columns).toEqual(['Phone_Number', 'name', 'amount', 'joined', 'language', 'voice_id', 'account']);
    expect(result.recipients).toEqual([
      {
        rowNumber: 2, phoneNumber: '+14155552671', timezone: null, overrides: { agent: { language: 'es' } },
        variables: { name: 'Ana', amount: '12.5', joined: '2024-01-15', account: '12345678901234' },
      },
      {
        rowNumber: 3, phoneNumber: '+14155552672', timezone: null, overrides: { tts: { voice_id: 'v_9' } },
        variables: { name: 'Sci', amount: '0.3', joined: '2024-01-15T09:30:00.000Z', account: '' },
      },
      { rowNumber: 5, phoneNumber: '+14155552674', timezone: null, variables: { name: 'Rich', amount: '', joined: '', account: '' } },
      { rowNumber: 6, phoneNumber: '+33612345678', timezone: 'Europe/Paris', variables: { name: 'Link', amount: '', joined: '', account: '' } },
    ]);
    // 14155552670.999998 is 14155552671 again: a duplicate of row 2, not a new number.
    expect(result.duplicates).toEqual([{ rowNumber: 4, phoneNumber: '+14155552671', firstRowNumber: 2 }]);
  });

  it('reports duplicates, bad numbers, cells past the header and keeps sheet row numbers across blank rows', async () => {
    const bytes = await workbook([
      ['phone_number', 'name'],
      [4155552671, 'Ana'],
      [],
      [],
      ['415-555-2671', 'Again'],
      [555, 'Short'],
      ['+44 20 7946 0958', 'Extra', 'oops'],
      ['', 'No phone'],
      [447911123456, 'UK lost its plus'],
    ]);
    const result = await importXlsx(bytes, { defaultRegion: 'US' });
    expect(result.recipients.map((r) => [r.rowNumber, r.phoneNumber])).toEqual([[2, '+14155552671'], [9, '+447911123456']]);
    expect(result.duplicates).toEqual([{ rowNumber: 5, phoneNumber: '+14155552671', firstRowNumber: 2 }]);
    expect(result.errors.map((e) => [e.rowNumber, e.code])).toEqual([[6, 'invalid_phone'], [7, 'extra_cells'], [8, 'missing_phone']]);
  });

  it('finds the sheet by name and refuses duplicate headers', async () => {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('Notes').addRow(['nothing here']);
    wb.addWorksheet('List').addRows([['phone_number', 'Name', 'name'], ['+33612345678', 'a', 'b']]);
    const bytes = new Uint8Array(await wb.xlsx.writeBuffer());
    const error = await importXlsx(bytes, { sheet: 'List' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportFileError);
    expect(error).toMatchObject({ code: 'duplicate_columns', message: 'duplicate column names: "Name" (columns B, C)' });
    await expect(importXlsx(bytes)).rejects.toMatchObject({ code: 'missing_phone_column' });
    await expect(importXlsx(bytes, { sheet: 'Nope' })).rejects.toMatchObject({ code: 'unreadable_xlsx' });
  });

  it('is picked by importRecipients from its ZIP signature, whatever the file name', async () => {
    const bytes = await workbook([['phone_number'], ['+33612345678']]);
    const result = await importRecipients({ data: bytes, filename: 'list.csv' });
    expect(result.format).toBe('xlsx');
    expect(result.recipients).toHaveLength(1);
    await expect(importRecipients({ data: new Uint8Array([1, 2, 3]), format: 'xlsx' })).rejects.toMatchObject({ code: 'unreadable_xlsx' });
  });

  it('falls back to the full reader when the streaming reader cannot handle the entry order', async () => {
    const original = await workbook([['phone_number', 'name'], [33612345678, 'Zoé'], ['+33 6 98 76 54 32', 'Léa']]);
    // Shared strings and rels before the sheet, workbook.xml last: exceljs' streaming reader fails on this valid layout.
    const reordered = await rezip(original, (xml) => xml, (names) => [
      ...names.filter((n) => n !== 'xl/worksheets/sheet1.xml' && n !== 'xl/workbook.xml'),
      'xl/worksheets/sheet1.xml',
      'xl/workbook.xml',
    ]);
    await expect(streamTable(original, {})).resolves.toBeDefined();
    await expect(streamTable(reordered, {})).rejects.toThrow();
    expect(await loadTable(reordered, {})).toEqual(await streamTable(original, {}));
    const result = await importXlsx(reordered, { defaultRegion: 'FR' });
    expect(result.recipients.map((r) => [r.rowNumber, r.phoneNumber, r.variables.name])).toEqual([
      [2, '+33612345678', 'Zoé'],
      [3, '+33698765432', 'Léa'],
    ]);
  });
});
