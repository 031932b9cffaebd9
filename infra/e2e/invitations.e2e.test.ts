import { expect } from 'chai';
import { dashboardDictionaries } from '../../dashboard/src/strings.ts';
import { addMember, memberApi } from '../../signaling/src/test-support/test-server.ts';
import { startTwilioStandIn } from '../../signaling/src/test-support/twilio-stand-in.ts';
import { consultationSuite, passDeviceCheck } from './consultation.ts';
import { eventually } from '../../signaling/src/test-support/eventually.ts';

const SID = `AC${'8'.repeat(32)}`;
const TOKEN = 'twilio-test-auth-token-0008';
const DAY = 86_400_000;

/*
 * Invitations from the dashboard, in real Chromium (the real Twilio SDK against the local stand-in): the
 * form refuses a bad number or address with the very words it gives for the server's refusal; a good one
 * sends the link by SMS in the chosen language, and the list of upcoming consultations says so. The
 * visitor cancels from the link; the professional's list shows it without a reload; the link opened again
 * says the appointment is cancelled already.
 */
describe('invitations from the dashboard, cancelled from the visitor’s link (real Chromium, Twilio stand-in)', function () {
  this.timeout(120_000);
  let twilio: Awaited<ReturnType<typeof startTwilioStandIn>>;
  // Filled in before the suite's server starts (the stand-in's port is known only then).
  const env: Record<string, string> = {};
  before(async () => {
    twilio = await startTwilioStandIn(SID, TOKEN);
    Object.assign(env, { TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: TOKEN, TWILIO_FROM: '+4759440000', TWILIO_API_BASE_URL: twilio.url });
  });
  after(async () => {
    await twilio?.close();
  });
  const suite = consultationSuite('Invitation Clinic', undefined, env);

  it('a bad number or address is refused with the server’s own words; a good number gets the SMS; the visitor cancels and the professional sees it live', async () => {
    const pro = await suite.scene.professionalLogsIn();
    const form = pro.getByRole('form', { name: 'Schedule a consultation' });
    const api = await memberApi(suite.server, suite.org.org.id, suite.org.professional.id);
    const en = dashboardDictionaries.en as Record<string, string>;

    for (const [label, bad] of [
      ['Visitor’s mobile number (optional)', 'call me'],
      ['Visitor’s mobile number (optional)', '912 34 567'],
      ['Visitor’s e-mail address (optional)', 'kari@'],
    ] as const) {
      await form.getByLabel('Visitor’s mobile number (optional)').fill('');
      await form.getByLabel('Visitor’s e-mail address (optional)').fill('');
      await form.getByLabel(label).fill(bad);
      await form.getByRole('button', { name: 'Create a link for the visitor' }).click();
      const shown = (await form.getByRole('alert').textContent())!.trim();
      // What the server answers for the same input, in the form's words for its code.
      const field = label.includes('e-mail') ? 'email' : 'phone';
      const server = await api.call('POST', '/api/consultations', { roomId: suite.org.room.id, [field]: bad });
      expect(server.status).to.equal(400);
      const [path, code] = (server.body.error.message as string).split(': ');
      expect(path).to.equal(field);
      expect(shown, bad).to.equal(en[`schedule.error.${code}`]);
      expect(await form.getByLabel(label).getAttribute('aria-invalid')).to.equal('true');
    }
    expect(twilio.sent).to.deep.equal([]);

    // Tomorrow at 10:00 at the organization's clock, to a Norwegian number, in bokmål.
    const day = new Intl.DateTimeFormat('sv-SE', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: 'Europe/Oslo' }).format(Date.now() + DAY);
    await form.getByLabel('Visitor’s e-mail address (optional)').fill('');
    await form.getByLabel('Date and time (optional)').fill(`${day}T10:00`);
    await form.getByLabel('Visitor’s mobile number (optional)').fill('+47 912 34 567');
    await form.getByLabel('Language of the invitation').selectOption('nb');
    await form.getByRole('button', { name: 'Create a link for the visitor' }).click();
    await form.getByText('The link was sent by SMS.').waitFor();
    const link = await form.getByRole('textbox', { name: 'Private link for the visitor' }).inputValue();
    expect(twilio.sent.map((m) => m.to)).to.deep.equal(['+4791234567']);
    expect(twilio.sent[0]!.body).to.match(/^Consult: din videokonsultasjon .* kl\. 10:00\. http/);
    expect(twilio.sent[0]!.body.endsWith(link)).to.equal(true);
    const upcoming = pro.getByRole('list', { name: 'Upcoming consultations' });
    const row = upcoming.getByRole('listitem').filter({ hasText: 'SMS sent' });
    await row.getByText('Booked').waitFor();

    // The visitor cancels from the link, after saying yes once more.
    const visitor = await suite.scene.page();
    await visitor.goto(link);
    await visitor.getByRole('heading', { name: `Video consultation with ${suite.org.professional.name}` }).waitFor();
    await visitor.getByRole('button', { name: 'Cancel this appointment' }).click();
    await visitor.getByText('Cancel your appointment? This link will stop working, and the clinic is told.').waitFor();
    await visitor.getByRole('button', { name: 'Yes, cancel it' }).click();
    await visitor.getByRole('heading', { name: 'Your appointment is cancelled' }).waitFor();

    // The professional's list follows, without a reload.
    await row.getByText('Cancelled by the visitor').waitFor();
    expect(await row.getByRole('button', { name: /^Cancel the consultation/ }).count()).to.equal(0);

    // The link used again: it says so, not an error page.
    const again = await suite.scene.page();
    await again.goto(link);
    await again.getByRole('heading', { name: 'This appointment is already cancelled' }).waitFor();
    await again.getByText('It was cancelled with this link.', { exact: false }).waitFor();
  });

  it('a professional cancels from the list after saying yes; the visitor’s link then says the clinic cancelled', async () => {
    const pro = await suite.scene.professionalLogsIn();
    const form = pro.getByRole('form', { name: 'Schedule a consultation' });
    await form.getByRole('button', { name: 'Create a link for the visitor' }).click();
    const link = await form.getByRole('textbox', { name: 'Private link for the visitor' }).inputValue();
    const row = pro.getByRole('list', { name: 'Upcoming consultations' }).getByRole('listitem').filter({ hasText: 'Any time' }).filter({ hasText: 'Booked' }).first();
    await row.getByRole('button', { name: /^Cancel the consultation/ }).click();
    await row.getByRole('button', { name: 'Yes, cancel it' }).click();
    await pro.getByText(`Cancelled by ${suite.org.professional.name}`).first().waitFor();
    const visitor = await suite.scene.page();
    await visitor.goto(link);
    await visitor.getByRole('heading', { name: 'This consultation was cancelled' }).waitFor();
  });

  it('an admin chooses the reminders on the Organization page', async () => {
    const admin = await addMember(suite.server.services, suite.org.org.id, { role: 'admin' });
    const page = await suite.scene.professionalLogsIn(undefined, admin);
    await page.getByRole('button', { name: 'Organization' }).click();
    const form = page.getByRole('form', { name: 'Reminders before a consultation' });
    expect(await form.getByLabel('24 hours before').isChecked()).to.equal(true);
    expect(await form.getByLabel('1 hour before').isChecked()).to.equal(true);
    await form.getByLabel('1 hour before').uncheck();
    await form.getByLabel('30 minutes before').check();
    await form.getByRole('button', { name: 'Save reminders' }).click();
    await eventually(async () => JSON.stringify((await suite.server.services.organizations.getOrganization(suite.org.org.id))?.reminderMinutes) === '[1440,30]', {
      what: 'the reminders are saved',
      intervalMs: 100,
    });
  });
});
