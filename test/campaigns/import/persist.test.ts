import { afterEach, describe, expect, it } from 'vitest';
import { importCsv } from '../../../src/campaigns/import/index.js';
import { engines } from '../../store/engines.js';

const all = await engines();

describe.each(all)('imported recipients stored on $name', (engine) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it.skipIf(engine.skip)(`round-trip variables, overrides and time zones ${engine.skip ?? ''}`, async () => {
    const opened = await engine.open();
    cleanup = opened.cleanup;
    const { store } = opened;
    const csv = new TextEncoder().encode(
      'phone_number;name;system_prompt;voice_id;timezone\n+33 6 12 34 56 78;Zoé;Sois brève;v_fr;\n+1 415 555 2671;Ana;;;America/Los_Angeles\n',
    );
    const imported = importCsv(csv);
    await store.doNotCall.add('+14155552671', 'asked');
    const { campaign, recipientCount, skippedDoNotCall } = await store.campaigns.create({ name: 'Import', type: 'agent' }, imported.recipients);
    expect([recipientCount, skippedDoNotCall]).toEqual([2, 1]);
    const stored = await store.recipients.list(campaign.id);
    expect(stored.map(({ rowNumber, phoneNumber, variables, overrides, timezone, status }) => ({ rowNumber, phoneNumber, variables, overrides, timezone, status }))).toEqual([
      {
        rowNumber: 2, phoneNumber: '+33612345678', variables: { name: 'Zoé' }, timezone: 'Europe/Paris', status: 'pending',
        overrides: { agent: { prompt: { prompt: 'Sois brève' } }, tts: { voice_id: 'v_fr' } },
      },
      { rowNumber: 3, phoneNumber: '+14155552671', variables: { name: 'Ana' }, overrides: null, timezone: 'America/Los_Angeles', status: 'skipped-dnc' },
    ]);
  });
});
