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
    await admin.getByLabel('Name, phone number, e-mail address, date of birth (YYYY-MM-DD) or visitor id').fill('feilstav');
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

  it('the admin finds someone invited by e-mail who never came, downloads what was sent to them, and erases it; in Swedish too', async () => {
    const { services } = suite.server;
    const address = 'ingrid.inbjuden@example.se';
    const { consultation } = await services.consultations.create(
      { orgId: suite.org.org.id, roomId: suite.org.room.id, professionalId: suite.org.professional.id, scheduledAt: Date.now() + 86_400_000, prefill: { phone: '+46701234567' }, invitation: { channels: ['sms', 'email'], language: 'sv', email: address } },
      30 * 86_400_000,
    );
    const adminMember = await addMember(services, suite.org.org.id, { name: 'Ingrid Admin', role: 'admin' });
    const admin = await suite.scene.professionalLogsIn(undefined, adminMember);
    await admin.getByRole('button', { name: 'Visitors’ data' }).click();
    await admin.getByLabel('Name, phone number, e-mail address, date of birth (YYYY-MM-DD) or visitor id').fill(address);
    await admin.getByRole('button', { name: 'Find' }).click();
    await admin.getByRole('heading', { name: 'Invited by text message or e-mail' }).waitFor();
    const row = admin.getByRole('listitem', { name: address });
    await row.getByText(`Invited by e-mail to ${address}`).waitFor();

    const download = admin.waitForEvent('download');
    await row.getByRole('link', { name: 'Download everything held (JSON)' }).click();
    const exported = JSON.parse((await import('node:fs')).readFileSync((await (await download).path())!, 'utf8')) as { invitee: { contact: string }; consultations: { consultationId: string }[] };
    expect(exported.invitee.contact).to.equal(address);
    expect(exported.consultations.map((c) => c.consultationId)).to.deep.equal([consultation.id]);
    expect(JSON.stringify(exported), 'not the number: another contact').not.to.include('701234567');

    // The same page in Swedish.
    await admin.evaluate(() => localStorage.setItem('consult.language', 'sv'));
    await admin.reload();
    await admin.getByRole('button', { name: 'Besökarnas uppgifter' }).click();
    await admin.getByLabel('Namn, telefonnummer, e-postadress, födelsedatum (ÅÅÅÅ-MM-DD) eller besökar-id').fill('070-123 45 67');
    await admin.getByRole('button', { name: 'Sök', exact: true }).click();
    const swedish = admin.getByRole('listitem', { name: '+46701234567' });
    await swedish.getByText('Inbjuden via sms till +46701234567').waitFor();

    admin.on('dialog', (dialog) => void dialog.accept());
    await swedish.getByRole('button', { name: 'Radera' }).click();
    await admin.getByText('+46701234567 har raderats.').waitFor();
    expect(await services.consultations.invitationContact(suite.org.org.id, consultation.id)).to.deep.equal({ channels: ['sms', 'email'], language: 'sv' });
    const { entries } = await services.audit.list(suite.org.org.id, { action: 'erasure' });
    expect(entries.map((e) => e.targetId)).to.include(services.consultations.inviteeId(suite.org.org.id, { kind: 'phone', value: '+46701234567' }));
  });
});
