import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import {
  addMember,
  ask,
  createOrganization,
  joinWaitingRoom,
  memberApi,
  professionalSocket,
  sessionCookieFor,
  startTestServer,
  visitorSocket,
  type ProfessionalClient,
  type TestMember,
  type TestOrganization,
  type TestServer,
  type VisitorClient,
} from '../../signaling/src/test-support/test-server.ts';
import { codeFor } from '../../signaling/src/auth/second-factor.ts';
import { sessionCookieName } from '../../signaling/src/http/request-guards.ts';
import { cancelConsultation } from '../../signaling/src/consultations/schedule.ts';
import { startTwilioStandIn } from '../../signaling/src/test-support/twilio-stand-in.ts';
import { launchChromium } from './browser.ts';
import { checkScreen, newDeviceContext, PHONE_TALL, TABLET, TABLET_LANDSCAPE, type Viewport } from './phone-checks.ts';

/*
 * The professional's dashboard on a tablet (portrait and landscape), and on a phone, where it must at least
 * not scroll sideways: logging in (with a mistake), setting up two-step login and its recovery codes, the
 * waiting room with a visitor's card open, the scheduling form (with a mistake, then sent by SMS through
 * the Twilio stand-in) and the upcoming consultations (sent, SMS failed, cancelled by the visitor and by a
 * member, and a cancel being confirmed), the history, the settings, the admin's
 * organization, visitors' data and audit log pages, and the two-step check at the next login. On each:
 * nothing wider than the screen, 44 px targets, no WCAG 2.1 AA violation axe-core finds, a kept screenshot.
 */
describe('the dashboard on a tablet and a phone (real Chromium, Redis, mediasoup)', function () {
  this.timeout(180_000);
  let server: TestServer;
  let org: TestOrganization;
  let browser: Browser;
  let twilio: Awaited<ReturnType<typeof startTwilioStandIn>>;
  const sockets: (VisitorClient | ProfessionalClient)[] = [];

  before(async () => {
    const sid = `AC${'9'.repeat(32)}`;
    const token = 'twilio-test-auth-token-0009';
    twilio = await startTwilioStandIn(sid, token);
    server = await startTestServer({ env: { TWILIO_ACCOUNT_SID: sid, TWILIO_AUTH_TOKEN: token, TWILIO_FROM: '+4759440000', TWILIO_API_BASE_URL: twilio.url } });
    org = await createOrganization(server.services, { name: 'Tablet Clinic' });
    // A visitor waiting with what they filled in.
    const visit = await joinWaitingRoom(server, org.room.slug, 'Ola Nordmann-Haugen');
    const socket = await visitorSocket(server, visit.visitorToken);
    sockets.push(socket);
    expect((await ask(socket, 'visit:enter', {})).ok, 'entered').to.equal(true);
    browser = await launchChromium();
  });
  after(async () => {
    for (const s of sockets) s.disconnect();
    await browser?.close();
    await server?.close();
    await twilio?.close();
  });

  /**
   * The member's upcoming consultations as a busy week has them: one invited by SMS, one whose SMS failed
   * (Twilio down), one the visitor cancelled from their link, one a member cancelled.
   */
  async function upcomingOf(member: TestMember): Promise<void> {
    const api = await memberApi(server, org.org.id, member.id);
    const book = async (hours: number) => {
      const res = await api.call('POST', '/api/consultations', { roomId: member.room.id, scheduledAt: Date.now() + hours * 3_600_000, phone: '+47 912 34 567' });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      return res.body.consultationId as string;
    };
    await book(26);
    twilio.down = true;
    try {
      await book(28);
    } finally {
      twilio.down = false;
    }
    await cancelConsultation(server.services, org.org.id, await book(30), { visitor: true });
    await cancelConsultation(server.services, org.org.id, await book(50), { memberId: member.id });
  }

  /** A short call of the member's own, for their history: a visitor checks in to their room, is admitted, and the call ends. */
  async function callOf(member: TestMember): Promise<void> {
    const pro = await professionalSocket(server, `${sessionCookieName(false)}=${await sessionCookieFor(server, org.org.id, member.id)}`);
    sockets.push(pro);
    const visit = await joinWaitingRoom(server, member.room.slug, 'Kari Nordmann');
    const socket = await visitorSocket(server, visit.visitorToken);
    sockets.push(socket);
    expect((await ask(socket, 'visit:enter', {})).ok, 'entered').to.equal(true);
    const admitted = await ask(pro, 'queue:admit', { visitorId: visit.visitorToken.split('.')[1]! });
    if (!admitted.ok) throw new Error(`admit: ${admitted.error.code}`);
    await ask(pro, 'call:hang-up', admitted.callId as never);
  }

  /** Letters only, from a viewport's name: a person's name has no digits. */
  const visitorless = (viewport: Viewport) => viewport.name.replace(/[^a-z]/g, '');

  const problemsOf = (found: string[]) => expect(found, `\n${found.join('\n')}\n`).to.deep.equal([]);

  async function logsIn(page: Page, email: string, password: string): Promise<void> {
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
  }

  for (const viewport of [TABLET, TABLET_LANDSCAPE, PHONE_TALL] satisfies Viewport[]) {
    it(`${viewport.name}: logging in with two-step login, then every page of an admin`, async () => {
      const found: string[] = [];
      const admin = await addMember(server.services, org.org.id, { name: `Admin ${viewport.name.replace(/[^a-z]/g, '')}`, role: 'admin' });
      await callOf(admin);
      await upcomingOf(admin);
      const context = await newDeviceContext(browser, viewport, server.origin);
      try {
        const page = await context.newPage();
        await page.goto(`${server.url}/dashboard/`);
        await page.getByRole('heading', { name: 'Log in' }).waitFor();
        await logsIn(page, admin.email, 'not the password');
        await page.getByText('Wrong e-mail or password.').waitFor();
        found.push(...(await checkScreen(page, 'dashboard-login-mistake', viewport)));

        await logsIn(page, admin.email, admin.password);
        await page.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
        found.push(...(await checkScreen(page, 'dashboard-two-step-setup', viewport)));
        const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
        await page.getByLabel('Code from your authenticator app').fill(codeFor(secret));
        await page.getByRole('button', { name: 'Turn on' }).click();
        await page.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
        found.push(...(await checkScreen(page, 'dashboard-recovery-codes', viewport)));
        await page.getByRole('button', { name: 'I have stored them' }).click();

        await page.getByRole('heading', { name: /Waiting room/ }).first().waitFor();
        const card = page.getByRole('listitem').filter({ hasText: 'Ola Nordmann-Haugen' });
        await card.getByLabel('More for Ola Nordmann-Haugen').click();
        await card.getByText('Messages').click();
        await card.getByRole('button', { name: 'I’ll be with you shortly.' }).waitFor();
        found.push(...(await checkScreen(page, 'dashboard-queue', viewport)));

        const schedule = page.getByRole('form', { name: 'Schedule a consultation' });
        await schedule.getByLabel('Visitor’s mobile number (optional)').fill('call me');
        await schedule.getByRole('button', { name: 'Create a link for the visitor' }).click();
        await schedule.getByRole('alert').waitFor();
        found.push(...(await checkScreen(page, 'dashboard-schedule-mistake', viewport)));
        await schedule.getByLabel('Visitor’s mobile number (optional)').fill('+47 912 34 567');
        await schedule.getByRole('button', { name: 'Create a link for the visitor' }).click();
        await schedule.getByText('The link was sent by SMS.').waitFor();
        await schedule.getByRole('textbox', { name: 'Private link for the visitor' }).waitFor();
        found.push(...(await checkScreen(page, 'dashboard-schedule-sent', viewport)));
        const upcoming = page.getByRole('list', { name: 'Upcoming consultations' });
        await upcoming.getByText('Cancelled by the visitor').first().waitFor();
        await upcoming.getByRole('button', { name: /^Cancel the consultation/ }).first().click();
        await upcoming.getByRole('button', { name: 'Yes, cancel it' }).waitFor();
        found.push(...(await checkScreen(page, 'dashboard-upcoming-cancelling', viewport)));
        await upcoming.getByRole('button', { name: 'No, keep it' }).click();

        await page.getByRole('button', { name: 'History' }).click();
        await page.getByRole('heading', { name: 'Call history' }).waitFor();
        await page.getByRole('table').waitFor();
        found.push(...(await checkScreen(page, 'dashboard-history', viewport)));

        await page.getByRole('button', { name: 'Settings' }).click();
        await page.getByRole('heading', { name: 'SMS when someone arrives' }).waitFor();
        // This server has no SMTP: the e-mail section says so, and what the operator sets.
        await page.getByText('E-mail is off on this server', { exact: false }).waitFor();
        found.push(...(await checkScreen(page, 'dashboard-settings', viewport)));

        await page.getByRole('button', { name: 'Organization' }).click();
        await page.getByRole('heading', { name: 'Members' }).waitFor();
        await page.getByRole('form', { name: 'Reminders before a consultation' }).waitFor();
        found.push(...(await checkScreen(page, 'dashboard-organization', viewport)));
        // An invitation made here, shown once; then opened as the new member opens it, on a device of their own.
        const invite = page.getByRole('form', { name: 'Invite a member' });
        const invitee = `Dr. Ny ${visitorless(viewport)}`;
        await invite.getByLabel('Name').fill(invitee);
        await invite.getByLabel('E-mail').fill(`ny-${viewport.name}@tablet.example`);
        await invite.getByRole('button', { name: 'Create invitation link' }).click();
        const link = await page.getByRole('textbox', { name: new RegExp(`Invitation link for ${invitee}`) }).inputValue();
        found.push(...(await checkScreen(page, 'dashboard-invitation-created', viewport)));
        const theirs = await newDeviceContext(browser, viewport, server.origin);
        const joining = await theirs.newPage();
        await joining.goto(link);
        await joining.getByRole('heading', { name: `Join ${org.org.name}` }).waitFor();
        found.push(...(await checkScreen(joining, 'dashboard-invitation', viewport)));
        await theirs.close();

        await page.getByRole('button', { name: 'Visitors’ data' }).click();
        await page.getByRole('heading', { name: 'Visitors’ data' }).first().waitFor();
        found.push(...(await checkScreen(page, 'dashboard-visitors-data', viewport)));

        await page.getByRole('button', { name: 'Audit log' }).click();
        await page.locator('table.audit-log tbody tr').first().waitFor();
        found.push(...(await checkScreen(page, 'dashboard-audit-log', viewport)));

        // The next login asks for the app's code.
        await page.getByRole('button', { name: 'Log out' }).click();
        await logsIn(page, admin.email, admin.password);
        await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
        found.push(...(await checkScreen(page, 'dashboard-two-step', viewport)));
      } finally {
        await context.close();
      }
      problemsOf(found);
    });
  }
});
