import { expect } from 'chai';
import { addMember } from '../../signaling/src/test-support/test-server.ts';
import { consultationSuite } from './consultation.ts';

/*
 * A visitor asks the clinic what it holds about them, to correct it, then to delete it: the admin does it
 * on the "Visitors' data" page, in real Chromium.
 */
describe('a visitor’s data on the admin’s page (real Chromium, Redis)', function () {
  this.timeout(120_000);

  const suite = consultationSuite('Rights Clinic');

  it('the admin finds a visitor, downloads what is held, corrects the name, and erases them', async () => {
    const visitor = await suite.scene.visitorChecksIn('Hanne Feilstavet');
    const adminMember = await addMember(suite.server.services, suite.org.org.id, { name: 'Anne Admin', role: 'admin' });
    const admin = await suite.scene.professionalLogsIn(undefined, adminMember);
    await admin.getByRole('button', { name: 'Visitors’ data' }).click();
    await admin.getByLabel('Name, phone number, date of birth (YYYY-MM-DD) or visitor id').fill('feilstav');
    await admin.getByRole('button', { name: 'Find' }).click();
    const row = admin.getByRole('listitem', { name: 'Hanne Feilstavet' });
    await row.waitFor();

    const download = admin.waitForEvent('download');
    await row.getByRole('link', { name: 'Download everything held (JSON)' }).click();
    const file = await (await download).path();
    const exported = JSON.parse((await import('node:fs')).readFileSync(file, 'utf8')) as { visitor: { name: string; state: string } };
    expect(exported.visitor).to.include({ name: 'Hanne Feilstavet', state: 'waiting' });

    await row.getByRole('button', { name: 'Correct' }).click();
    const form = admin.getByRole('form', { name: 'Correct Hanne Feilstavet' });
    await form.getByLabel('Name').fill('Hanne Feilstavet Riktig');
    await form.getByRole('button', { name: 'Save correction' }).click();
    const corrected = admin.getByRole('listitem', { name: 'Hanne Feilstavet Riktig' });
    await corrected.waitFor();

    admin.on('dialog', (dialog) => void dialog.accept());
    await corrected.getByRole('button', { name: 'Erase' }).click();
    await admin.getByText('Everything about Hanne Feilstavet Riktig is erased.').waitFor();
    // The visitor's page has no visit left to follow: it offers to check in again.
    await visitor.getByLabel('Your name').waitFor();
    const { entries } = await suite.server.services.audit.list(suite.org.org.id, {});
    expect(entries.map((e) => e.action)).to.include.members(['export', 'correction', 'erasure']);
  });
});
