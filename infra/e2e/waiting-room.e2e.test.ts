import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { addMember, type TestMember } from '../../signaling/src/test-support/test-server.ts';
import type { Room } from '../../signaling/src/organizations/organization-store.ts';
import { consultationSuite, passDeviceCheck } from './consultation.ts';

/*
 * The waiting room as professionals use it, in real Chromium: several professionals, personal and shared
 * rooms, and what each dashboard shows when someone else acts.
 */
describe('the waiting room with several professionals (real Chromium, Redis)', function () {
  this.timeout(120_000);

  const suite = consultationSuite('Fjord Clinic');
  let berg: TestMember;
  let reception: Room;

  before(async () => {
    const { services } = suite.server;
    berg = await addMember(services, suite.org.org.id, { name: 'Dr. Berg' });
    reception = await services.organizations.createRoom(suite.org.org.id, {
      slug: 'fjord-reception',
      name: 'Clinic reception',
      kind: 'shared',
      members: [suite.org.professional.id, berg.id],
    });
  });

  it('groups visitors by room; an admission by one professional shows on the other dashboard as taken, then goes', async () => {
    const hansen = await suite.scene.professionalLogsIn();
    const bergPage = await suite.scene.professionalLogsIn(undefined, berg);
    const visitor = await suite.scene.page();
    await visitor.goto(`${suite.server.url}/r/${reception.slug}`);
    await visitor.getByRole('heading', { name: 'Video consultation with Clinic reception' }).waitFor();
    await passDeviceCheck(visitor);
    await visitor.getByLabel('Your name').fill('Per Hansen');
    await visitor.getByRole('button', { name: 'Go to the waiting room' }).click();
    await visitor.getByText('Clinic reception has been told you are here.').waitFor();
    await visitor.getByText('You are next in line.').waitFor();

    // Each dashboard shows its own rooms, the visitor under the shared one.
    for (const [page, own] of [[hansen, suite.org.professional.name], [bergPage, 'Dr. Berg']] as const) {
      const shared = page.getByRole('region', { name: 'Clinic reception' });
      await shared.getByRole('button', { name: 'Admit Per Hansen' }).waitFor();
      const roomHeadings = await page.getByRole('region', { name: 'Waiting room' }).getByRole('heading', { level: 2 }).allTextContents();
      expect(roomHeadings).to.deep.equal([own, 'Clinic reception']);
    }
    expect(await bergPage.getByRole('heading', { name: suite.org.professional.name }).count(), 'Dr. Berg sees only his own rooms').to.equal(0);

    await hansen.getByRole('button', { name: 'Admit Per Hansen' }).click();
    await bergPage.getByText(`Taken by ${suite.org.professional.name}`).waitFor();
    expect(await bergPage.getByRole('button', { name: 'Admit Per Hansen' }).count(), 'no admit button on a taken visitor').to.equal(0);
    await bergPage.getByText('Per Hansen').waitFor({ state: 'detached', timeout: 10_000 });
    await hansen.getByRole('button', { name: 'End the call' }).click();
    await visitor.getByRole('heading', { name: 'The consultation has ended' }).waitFor();
  });

  it('an admin invites a member, gives them a shared room, resets a password and removes a member, and each dashboard follows at once', async () => {
    const admin = await addMember(suite.server.services, suite.org.org.id, { name: 'Anne Admin', role: 'admin' });
    const adminPage = await suite.scene.professionalLogsIn(undefined, admin);
    adminPage.on('dialog', (d) => void d.accept());
    await adminPage.context().grantPermissions(['camera', 'microphone', 'clipboard-read', 'clipboard-write'], { origin: suite.server.origin });
    await adminPage.getByRole('button', { name: 'Organization' }).click();
    const invite = adminPage.getByRole('form', { name: 'Invite a member' });
    await invite.getByLabel('Name').fill('Dr. Lie');
    await invite.getByLabel('E-mail').fill('lie@fjord.example');
    await invite.getByRole('button', { name: 'Create invitation link' }).click();
    const linkBox = adminPage.getByRole('textbox', { name: /Invitation link for Dr. Lie/ });
    const link = await linkBox.inputValue();
    expect(link).to.match(/\/dashboard\/#invitation=/);
    const wholeLinkInView = () => linkBox.evaluate((box) => box.scrollWidth <= box.clientWidth && box.scrollHeight <= box.clientHeight);
    expect(await wholeLinkInView(), 'the whole link is in view').to.equal(true);
    await adminPage.setViewportSize({ width: 390, height: 844 });
    expect(await wholeLinkInView(), 'on a phone too').to.equal(true);
    await adminPage.setViewportSize({ width: 900, height: 700 });
    const codeBox = adminPage.getByRole('textbox', { name: /Invitation code for Dr. Lie/ });
    const code = await codeBox.inputValue();
    expect(code, 'passed on by phone, grouped to read out, not in the link').to.match(/^\d{4} \d{4}$/);
    expect(link).to.not.include(code.replace(' ', ''));
    expect(await codeBox.evaluate((box) => parseFloat(getComputedStyle(box).fontSize)), 'large enough to read out').to.be.at.least(28);
    expect(await codeBox.evaluate((box) => box.scrollWidth <= box.clientWidth), 'the whole code is in view').to.equal(true);
    // Copied with one click each, exactly as shown.
    const shown = (button: string) => adminPage.locator('.shown-once', { has: adminPage.getByRole('button', { name: button }) });
    await adminPage.getByRole('button', { name: 'Copy link' }).click();
    await shown('Copy link').getByRole('status').getByText('Copied.').waitFor();
    expect(await adminPage.evaluate(() => navigator.clipboard.readText())).to.equal(link);
    await adminPage.getByRole('button', { name: 'Copy code' }).click();
    await shown('Copy code').getByRole('status').getByText('Copied.').waitFor();
    expect(await adminPage.evaluate(() => navigator.clipboard.readText())).to.equal(code);
    // Where the browser will not copy (no clipboard on a plain-http address, or a refusal), the code is
    // selected for the admin to copy by hand, and they are told so.
    await adminPage.evaluate(() => Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true }));
    await adminPage.getByRole('button', { name: 'Copy code' }).click();
    await shown('Copy code').getByRole('status').getByText('copy it with Ctrl+C').waitFor();
    expect(await codeBox.evaluate((box: HTMLInputElement) => box.value.slice(box.selectionStart!, box.selectionEnd!)), 'selected to copy').to.equal(code);

    // The invited person opens the link; the form asks for the code the admin gave them another way and
    // says why. A wrong code is refused with how it ends; with the right one and a password, they are in.
    const lie = await suite.scene.page();
    await lie.goto(link);
    await lie.getByRole('heading', { name: 'Join Fjord Clinic' }).waitFor();
    await lie.getByText('given separately from this link').waitFor();
    const wrong = String((Number(code.replace(' ', '')) + 1) % 100_000_000).padStart(8, '0');
    await lie.getByLabel('Invitation code').fill(wrong);
    await lie.getByLabel('New password', { exact: true }).fill('lie has a long password');
    await lie.getByLabel('New password again').fill('lie has a long password');
    await lie.getByRole('button', { name: 'Join' }).click();
    await lie.getByRole('alert').getByText('4 tries left before the invitation stops working').waitFor();
    // Typed as it was read out, with the space.
    await lie.getByLabel('Invitation code').fill(code);
    await lie.getByRole('button', { name: 'Join' }).click();
    // Like every password login, the second factor next: set up now, on the first.
    await lie.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
    const lieId = (await suite.server.services.organizations.findProfessionalByEmail('lie@fjord.example'))!.id;
    await suite.scene.passesSecondFactor(lie, { id: lieId });
    await lie.getByRole('heading', { name: /Waiting room/ }).waitFor();
    expect(new URL(lie.url()).hash, 'the secret leaves the address bar').to.equal('');

    // The admin's page shows the new member without a reload; a shared room for Dr. Lie appears on his
    // open dashboard the same way.
    await adminPage.getByRole('button', { name: 'Done' }).click();
    const newRoom = adminPage.getByRole('form', { name: 'New shared room' });
    await newRoom.getByLabel('Room name').fill('Evening clinic');
    await newRoom.getByRole('checkbox', { name: 'Dr. Lie' }).check();
    await newRoom.getByRole('button', { name: 'Create room' }).click();
    await adminPage.getByRole('listitem', { name: 'Evening clinic' }).waitFor();
    await lie.getByRole('heading', { name: 'Evening clinic' }).waitFor();

    // Reset Dr. Berg's password: he chooses a new one at his next login.
    await adminPage.getByRole('button', { name: 'Reset password of Dr. Berg' }).click();
    const temporary = await adminPage.getByRole('textbox', { name: /Temporary password for Dr. Berg/ }).inputValue();
    await adminPage.getByRole('button', { name: 'Done' }).click();
    const bergPage = await suite.scene.page();
    await bergPage.goto(`${suite.server.url}/dashboard/`);
    await bergPage.getByLabel('E-mail').fill(berg.email);
    await bergPage.getByLabel('Password').fill(temporary);
    await bergPage.getByRole('button', { name: 'Log in' }).click();
    await suite.scene.passesSecondFactor(bergPage, berg);
    await bergPage.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await bergPage.getByLabel('Temporary password').fill(temporary);
    await bergPage.getByLabel('New password', { exact: true }).fill('berg chose this one');
    await bergPage.getByLabel('New password again').fill('berg chose this one');
    await bergPage.getByRole('button', { name: 'Save password' }).click();
    await bergPage.getByRole('heading', { name: /Waiting room/ }).waitFor();

    // Removing Dr. Lie logs him out at once.
    await adminPage.getByRole('button', { name: 'Remove Dr. Lie' }).click();
    await lie.getByText('You have been logged out. Please log in again.').waitFor();
    await adminPage.getByRole('button', { name: 'Remove Dr. Lie' }).waitFor({ state: 'detached' });
  });

  it('alerts: a knock on arrival (off when turned off, remembered on this device), the count in the title, and a notification while the tab is hidden that names no one and opens on that visitor', async () => {
    // A string, not a function: the test runner's transform would add helpers the page does not have.
    const spyOnAlerts = `(() => {
      window.__knocks = 0;
      window.__notifications = [];
      const createOscillator = AudioContext.prototype.createOscillator;
      AudioContext.prototype.createOscillator = function () {
        window.__knocks++;
        return createOscillator.call(this);
      };
      const Native = window.Notification;
      window.Notification = class extends Native {
        constructor(title, options) {
          super(title, options);
          window.__notifications.push(this);
        }
      };
      let hidden = false;
      Object.defineProperty(Document.prototype, 'visibilityState', { get: () => (hidden ? 'hidden' : 'visible'), configurable: true });
      Object.defineProperty(Document.prototype, 'hidden', { get: () => hidden, configurable: true });
      window.__setHidden = (h) => {
        hidden = h;
        document.dispatchEvent(new Event('visibilitychange'));
      };
    })();`;
    const pro = await suite.scene.professionalLogsIn(spyOnAlerts);
    await pro.context().grantPermissions(['notifications'], { origin: suite.server.origin });
    await pro.reload();
    await pro.getByText('Notifications are on').waitFor();
    const page = pro as Page;
    const knocks = () => page.evaluate(() => (window as unknown as { __knocks: number }).__knocks);

    await suite.scene.visitorChecksIn('Ola Nordmann');
    await pro.getByRole('button', { name: 'Admit Ola Nordmann' }).waitFor();
    expect(await pro.title()).to.equal('(1) Waiting room · Dashboard');
    expect(await knocks(), 'a two-note knock').to.equal(2);

    await pro.getByRole('checkbox', { name: /Sound when someone arrives/ }).uncheck();
    await pro.reload();
    await pro.getByRole('button', { name: 'Admit Ola Nordmann' }).waitFor();
    expect(await pro.getByRole('checkbox', { name: /Sound when someone arrives/ }).isChecked(), 'remembered on this device').to.equal(false);
    await page.evaluate(() => (window as unknown as { __setHidden: (h: boolean) => void }).__setHidden(true));
    await suite.scene.visitorChecksIn('Kari Nordmann');
    await pro.getByRole('button', { name: 'Admit Kari Nordmann' }).waitFor({ state: 'attached' });
    expect(await pro.title()).to.equal('(2) Waiting room · Dashboard');
    expect(await knocks(), 'no knock when turned off').to.equal(0);
    const shown = await page.evaluate(() => (window as unknown as { __notifications: Notification[] }).__notifications.map((n) => ({ title: n.title, body: n.body })));
    expect(shown).to.deep.equal([{ title: 'Someone is waiting', body: `A visitor has arrived in ${suite.org.room.name}.` }]);
    expect(JSON.stringify(shown)).to.not.include('Kari');

    // Clicking the notification brings the dashboard forward on that visitor.
    await page.evaluate(() => (window as unknown as { __notifications: Notification[] }).__notifications[0]!.onclick!(new Event('click')));
    await pro.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'Admit Kari Nordmann');
  });

  it('a professional turns one visitor away with a message and moves another to a shared room; each visitor is told', async () => {
    const hansen = await suite.scene.professionalLogsIn();
    const bergPage = await suite.scene.professionalLogsIn(undefined, berg);
    const sigrid = await suite.scene.visitorChecksIn('Sigrid Dahl');
    const astrid = await suite.scene.visitorChecksIn('Astrid Moen');

    await hansen.getByLabel('More for Sigrid Dahl').click();
    const sigridRow = hansen.getByRole('listitem').filter({ hasText: 'Sigrid Dahl' });
    await sigridRow.getByLabel('Message to the visitor (optional)').fill('Vi ringer deg i morgen for en ny time.');
    await sigridRow.getByRole('button', { name: 'Turn away Sigrid Dahl' }).click();
    await sigrid.getByRole('heading', { name: 'The consultation will not take place now' }).waitFor();
    await sigrid.getByText('Vi ringer deg i morgen for en ny time.').waitFor();
    await sigridRow.waitFor({ state: 'detached' });

    await hansen.getByLabel('More for Astrid Moen').click();
    const astridRow = hansen.getByRole('listitem').filter({ hasText: 'Astrid Moen' });
    await astridRow.getByLabel('Move to').selectOption({ label: 'Clinic reception' });
    await astridRow.getByRole('button', { name: 'Move Astrid Moen' }).click();
    await astrid.getByText('You have been moved to Clinic reception.').waitFor();
    await astrid.getByText('Clinic reception has been told you are here.').waitFor();
    // Both professionals of the shared room now see her there (Dr. Test too: he belongs to it).
    for (const page of [bergPage, hansen]) await page.getByRole('region', { name: 'Clinic reception' }).getByRole('button', { name: 'Admit Astrid Moen' }).waitFor();
    expect(await hansen.getByRole('region', { name: suite.org.professional.name }).getByText('Astrid Moen').count(), 'gone from his own room').to.equal(0);
  });

  it('messages while waiting: a quick reply to one visitor, a note to everyone, answers back; encrypted in the browsers, readable after a reload, and the text rules explained', async () => {
    const hansen = await suite.scene.professionalLogsIn();
    const ola = await suite.scene.visitorChecksIn('Mia Strand');
    const kari = await suite.scene.visitorChecksIn('Nils Vik');
    const room = hansen.getByRole('region', { name: suite.org.professional.name });
    const olaRow = room.getByRole('listitem').filter({ hasText: 'Mia Strand' });
    await olaRow.getByText('Messages').click();
    await olaRow.getByRole('button', { name: 'I’ll be with you shortly.' }).click();
    await ola.getByRole('list', { name: 'Messages' }).getByText('I’ll be with you shortly.').waitFor();
    expect(await kari.getByText('I’ll be with you shortly.').count(), 'only Ola gets it').to.equal(0);

    // Ola answers; it shows in the open thread.
    const answer = ola.getByLabel(`Message to ${suite.org.professional.name}`);
    await answer.fill('Takk, jeg venter.');
    await ola.getByRole('button', { name: 'Send' }).click();
    await olaRow.getByRole('list', { name: 'Messages' }).getByText('Takk, jeg venter.').waitFor();
    // What the encryption does and does not promise, said once and plainly on each side.
    await ola.getByText('Encrypted in your browser for this room’s professionals; our server stores only the encrypted text. Unlike the call, there is no safety code to check their keys.').waitFor();
    await olaRow.getByText('Encrypted in your browser for the visitor and this room’s professionals; our server stores only the encrypted text. Unlike the call, there is no safety code to check the keys.').waitFor();
    // Too long, or with a control character: refused in the browser, explained, nothing sent.
    await answer.fill('x'.repeat(1001));
    await ola.getByRole('button', { name: 'Send' }).click();
    await ola.getByText('A message can be at most 1000 characters.').waitFor();
    await answer.fill('ring \u0007 meg');
    await ola.getByRole('button', { name: 'Send' }).click();
    await ola.getByText('The message contains characters that cannot be sent (control characters).').waitFor();

    // Kari writes while her thread is closed: the dashboard counts it as new.
    await kari.getByLabel(`Message to ${suite.org.professional.name}`).fill('Hvor lenge er det igjen?');
    await kari.getByRole('button', { name: 'Send' }).click();
    await room.getByRole('listitem').filter({ hasText: 'Nils Vik' }).getByText('1 new').waitFor();

    // One note to everyone waiting in the room: each gets their own copy.
    await room.getByText('Message everyone waiting here').click();
    await room.getByLabel(`Message to everyone waiting in ${suite.org.room.name}`).fill('Vi er 10 minutter forsinket.');
    await room.locator('details.message-everyone').getByRole('button', { name: 'Send' }).click();
    await room.getByText(/Sent to \d+ waiting./).waitFor();
    for (const page of [ola, kari]) await page.getByRole('list', { name: 'Messages' }).getByText('Vi er 10 minutter forsinket.').waitFor();

    // Nothing readable left the browsers: the stored messages are ciphertext.
    // (Visitors left waiting by earlier tests got the note to everyone too.)
    expect((await suite.server.redis.client.keys(`{org:${suite.org.org.id}}:messages:*`)).length).to.be.at.least(2);
    for (const key of await suite.server.redis.client.keys(`{org:${suite.org.org.id}}:messages:*`)) {
      const values = (await suite.server.redis.client.lrange(key, 0, -1)).join('');
      for (const plain of ['shortly', 'Takk', 'forsinket', 'Hvor lenge']) expect(values).to.not.include(plain);
    }
    // A reload keeps the place and the thread: this browser's key is still here.
    await ola.reload();
    await ola.getByRole('list', { name: 'Messages' }).getByText('Takk, jeg venter.').waitFor();
    await ola.getByRole('list', { name: 'Messages' }).getByText('I’ll be with you shortly.').waitFor();
  });

  it('a scheduled consultation: the professional makes a private link for a time; the visitor who comes early is told when, and the list shows it', async () => {
    const pro = await suite.scene.professionalLogsIn();
    const schedule = pro.getByRole('form', { name: 'Schedule a consultation' });
    const at = new Date(Date.now() + 3 * 3_600_000);
    at.setSeconds(0, 0);
    // Typed and shown at the organization's clock (Oslo, by default), whatever zone the browsers run in.
    const oslo = (options: Intl.DateTimeFormatOptions, locale = 'en-GB') => new Intl.DateTimeFormat(locale, { ...options, timeZone: 'Europe/Oslo' }).format(at);
    const local = oslo({ year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }, 'sv-SE').replace(' ', 'T');
    await schedule.getByLabel('Room').selectOption({ label: suite.org.professional.name });
    await schedule.getByLabel('Date and time (optional)').fill(local);
    await schedule.getByRole('button', { name: 'Create a link for the visitor' }).click();
    const link = await schedule.getByRole('textbox', { name: 'Private link for the visitor' }).inputValue();
    // The secret in the fragment, which the browser sends to no server.
    expect(link).to.match(/\/c\/[0-9a-f]{32}\.[0-9a-f]{32}#[A-Za-z0-9_-]{43}$/);
    const clock = oslo({ hour: '2-digit', minute: '2-digit' });
    const full = oslo({ dateStyle: 'full', timeStyle: 'short' });

    const visitor = await suite.scene.page();
    await visitor.goto(link);
    await passDeviceCheck(visitor);
    await visitor.getByText(`Your appointment is on ${full}.`).waitFor();
    await visitor.getByLabel('Your name').fill('Eirik Lund');
    await visitor.getByRole('button', { name: 'Go to the waiting room' }).click();
    await visitor.getByText(`${suite.org.professional.name} has been told you are here.`).waitFor();
    await visitor.getByText(`Your appointment is on ${full}.`).waitFor();
    await pro.getByRole('listitem').filter({ hasText: 'Eirik Lund' }).getByText(`appointment ${clock}`).waitFor();
  });

  it('the settings page says plainly when this server cannot send SMS', async () => {
    const pro = await suite.scene.professionalLogsIn();
    await pro.getByRole('button', { name: 'Settings' }).click();
    await pro.getByRole('heading', { name: 'SMS when someone arrives' }).waitFor();
    await pro.getByText('SMS alerts are not available on this server').waitFor();
    expect(await pro.getByRole('button', { name: 'Send a code to this number' }).count()).to.equal(0);
  });
});
