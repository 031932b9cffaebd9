import { expect } from 'chai';
import { addMember, sessionCookieFor } from '../../signaling/src/test-support/test-server.ts';
import { sessionCookieName } from '../../signaling/src/http/request-guards.ts';
import { checkScreen, newDeviceContext, PHONE_TALL, TABLET, TABLET_LANDSCAPE } from './phone-checks.ts';
import { SmtpStandIn } from '../../signaling/src/test-support/smtp-stand-in.ts';
import { consultationSuite } from './consultation.ts';

/*
 * E-mail as an admin meets it, in real Chromium: the settings page says whether this server sends e-mail
 * (and if not, what its operator sets), and a member invited while it does gets the link by e-mail (a
 * real SMTP server receives it) while the code stays with the admin to pass on another way.
 */
describe('e-mail on the admin’s pages (real Chromium, Redis, a real SMTP server)', function () {
  this.timeout(120_000);
  // Filled before the suite's server starts (hooks run in the order they were declared).
  const env: Record<string, string> = { SMTP_FROM: 'Mail Clinic <no-reply@clinic.example>' };
  let smtp: SmtpStandIn;
  before(async () => {
    smtp = await SmtpStandIn.create();
    env.SMTP_URL = smtp.url;
  });
  after(async () => {
    await smtp?.stop();
  });
  const suite = consultationSuite('Mail Clinic', undefined, env);

  it('the settings page says e-mail is on and from whom; an invited member gets the link by e-mail, never the code', async () => {
    const adminMember = await addMember(suite.server.services, suite.org.org.id, { name: 'Anne Admin', role: 'admin' });
    const admin = await suite.scene.professionalLogsIn(undefined, adminMember);
    await admin.getByRole('button', { name: 'Settings' }).click();
    await admin.getByRole('heading', { name: 'E-mail' }).waitFor();
    await admin.getByText('E-mail is on: invitations, reminders, receipts and invitations to new members are sent from Mail Clinic <no-reply@clinic.example>.').waitFor();

    await admin.getByRole('button', { name: 'Organization' }).click();
    const invite = admin.getByRole('form', { name: 'Invite a member' });
    await invite.getByLabel('Name').fill('Dr. Lie');
    await invite.getByLabel('E-mail').fill('lie@fjord.example');
    await invite.getByRole('button', { name: 'Create invitation link' }).click();
    const link = await admin.getByRole('textbox', { name: /Invitation link for Dr. Lie, also sent to lie@fjord.example by e-mail. The code is not e-mailed/ }).inputValue();
    const code = (await admin.getByRole('textbox', { name: /Invitation code for Dr. Lie/ }).inputValue()).replace(' ', '');
    const [mail] = await smtp.waitFor(1);
    expect(mail!.text).to.contain(link);
    expect(`${mail!.text}${String(mail!.html)}`).not.to.contain(code);
  });

  it('with e-mail on, the settings’ e-mail section and the organization’s reminders pass the phone checks on a tablet and a phone', async () => {
    const found: string[] = [];
    const adminMember = await addMember(suite.server.services, suite.org.org.id, { name: 'Tove Tablet', role: 'admin' });
    const cookie = await sessionCookieFor(suite.server, suite.org.org.id, adminMember.id);
    for (const viewport of [TABLET, TABLET_LANDSCAPE, PHONE_TALL]) {
      const context = await newDeviceContext(suite.browser, viewport, suite.server.origin);
      try {
        await context.addCookies([{ name: sessionCookieName(false), value: cookie, url: suite.server.url }]);
        const page = await context.newPage();
        await page.goto(`${suite.server.url}/dashboard/`);
        await page.getByRole('button', { name: 'Settings' }).click();
        await page.getByText('E-mail is on:', { exact: false }).waitFor();
        found.push(...(await checkScreen(page, 'dashboard-settings-email-on', viewport)));
        await page.getByRole('button', { name: 'Organization' }).click();
        await page.getByRole('form', { name: 'Reminders before a consultation' }).waitFor();
        found.push(...(await checkScreen(page, 'dashboard-organization-email-on', viewport)));
      } finally {
        await context.close();
      }
    }
    expect(found, `\n${found.join('\n')}\n`).to.deep.equal([]);
  });
});
