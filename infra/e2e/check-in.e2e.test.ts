import { expect } from 'chai';
import { addMember } from '../../signaling/src/test-support/test-server.ts';
import { DEFAULT_CHECK_IN } from '../../signaling/protocol/index.ts';
import { consultationSuite, passDeviceCheck } from './consultation.ts';
import { eventually } from '../../signaling/src/test-support/eventually.ts';

/*
 * The check-in form as an admin sets it up on the Organization page and a visitor meets it, in real
 * Chromium: the fields the room asks for, each error at its field, and the answers on the queue card.
 */
describe('check-in form end to end (real Chromium, Redis)', function () {
  this.timeout(120_000);

  const suite = consultationSuite('Form Clinic');

  it('an admin asks for a phone, a reason and a choice with consent; the visitor is told what is missing at each field, then waits; the card shows the answers', async () => {
    const admin = await addMember(suite.server.services, suite.org.org.id, { name: 'Anne Admin', role: 'admin' });
    const page = await suite.scene.professionalLogsIn(undefined, admin);
    await page.getByRole('button', { name: 'Organization' }).click();
    const room = page.getByRole('listitem', { name: suite.org.room.name });
    await room.getByLabel(`Check-in form of ${suite.org.room.name}`).click();
    await room.getByLabel('Phone number').check();
    await room.getByRole('checkbox', { name: 'Required' }).first().check();
    await room.getByLabel('Reason for the visit (free text)').check();
    await room.getByText('is often health data').waitFor();
    await room.getByRole('button', { name: 'Add a field' }).click();
    await room.getByLabel('Field 1: label').fill('Language of the call');
    await room.getByLabel('Kind').selectOption('choice');
    await room.getByLabel('Options, separated by commas').fill('Norsk, English');
    await room.getByRole('checkbox', { name: 'Required' }).last().check();
    await room.getByLabel('Visitors must read and accept a text').check();
    await room.getByLabel('Text', { exact: true }).fill('Vi lagrer svarene dine i 90 dager.');
    await room.getByLabel('Your privacy page (https)').fill('https://clinic.example/privacy');
    await room.getByRole('button', { name: 'Save form' }).click();
    await eventually(async () => (await suite.server.services.organizations.getRoom(suite.org.org.id, suite.org.room.id))!.checkIn.custom.length > 0, { what: 'the form saved', intervalMs: 100 });
    const saved = (await suite.server.services.organizations.getRoom(suite.org.org.id, suite.org.room.id))!.checkIn;
    expect([saved.phone, saved.reason.enabled, saved.custom.map((c) => [c.label, c.kind, c.options, c.required]), saved.consent?.privacyUrl]).to.deep.equal([
      { enabled: true, required: true },
      true,
      [['Language of the call', 'choice', ['Norsk', 'English'], true]],
      'https://clinic.example/privacy',
    ]);

    // The visitor meets the form: nothing filled in but the name, each problem at its field.
    const visitor = await suite.scene.page();
    await visitor.goto(`${suite.server.url}/r/${suite.org.room.slug}`);
    await passDeviceCheck(visitor);
    await visitor.getByLabel('Your name').fill('Ola Nordmann');
    await visitor.getByLabel('Phone number').fill('call me');
    await visitor.getByRole('button', { name: 'Go to the waiting room' }).click();
    await visitor.getByText('Enter a phone number, for example +47 912 34 567.').waitFor();
    await visitor.getByText('Please read the text above and tick the box to go on.').waitFor();
    expect(await visitor.getByLabel('Phone number').getAttribute('aria-invalid')).to.equal('true');
    await visitor.getByLabel('Phone number').fill('+47 912 34 567');
    await visitor.getByLabel('Reason for the visit').fill('Kontroll');
    await visitor.getByLabel('Language of the call').selectOption('English');
    await visitor.getByRole('link', { name: 'How we handle your information (privacy)' }).waitFor();
    await visitor.getByLabel('I have read this and agree').check();
    await visitor.getByRole('button', { name: 'Go to the waiting room' }).click();
    await visitor.getByRole('heading', { name: 'You are in the waiting room' }).waitFor();

    await page.getByRole('button', { name: 'Waiting room' }).click();
    const card = page.getByRole('listitem').filter({ hasText: 'Ola Nordmann' });
    for (const text of ['+47 912 34 567', 'Language of the call', 'English', 'Kontroll']) await card.getByText(text, { exact: true }).waitFor();
  });

  it('remember me on this device: opt-in, fills in name and phone next time, and forgetting clears it from the browser', async () => {
    await suite.server.services.organizations.setCheckIn(suite.org.org.id, suite.org.room.id, {
      ...DEFAULT_CHECK_IN,
      phone: { enabled: true, required: false },
      reason: { enabled: true, required: false },
    });
    const visitor = await suite.scene.page();
    await visitor.goto(`${suite.server.url}/r/${suite.org.room.slug}`);
    await passDeviceCheck(visitor);
    expect(await visitor.getByLabel('Remember me on this device').isChecked(), 'off unless asked').to.equal(false);
    await visitor.getByText('Keeps your name and phone number in this browser only, to fill in the form next time.').waitFor();

    // The organization's privacy page is a link away from the questions, in a tab of its own (the form stays).
    const privacyLink = visitor.getByRole('link', { name: 'Privacy: what is kept about you, and for how long' });
    const [privacyPage] = await Promise.all([visitor.context().waitForEvent('page'), privacyLink.click()]);
    await privacyPage.getByRole('heading', { name: 'Privacy at Form Clinic' }).waitFor();
    expect(new URL(privacyPage.url()).pathname).to.equal(`/privacy/${suite.org.org.id}`);
    await privacyPage.getByText('Your check-in answers: your name, your phone number and the reason for your visit, in your words.').waitFor();
    // On a phone: no sideways scrolling; on a wide screen: lines of a readable length.
    await privacyPage.setViewportSize({ width: 390, height: 800 });
    expect(await privacyPage.evaluate(() => document.documentElement.scrollWidth), 'no horizontal scroll at 390 px').to.be.at.most(390);
    await privacyPage.setViewportSize({ width: 1280, height: 800 });
    const measure = await privacyPage.evaluate(() => {
      const text = document.querySelector('main li')!;
      return text.getBoundingClientRect().width / parseFloat(getComputedStyle(text).fontSize);
    });
    expect(measure, 'a line in ems').to.be.within(30, 41);
    await privacyPage.close();

    await visitor.getByLabel('Your name').fill('Kari Nordmann');
    await visitor.getByLabel('Phone number').fill('91234567');
    await visitor.getByLabel('Reason for the visit').fill('Vondt i ryggen');
    await visitor.getByLabel('Remember me on this device').check();
    await visitor.getByRole('button', { name: 'Go to the waiting room' }).click();
    // The waiting screen's footer links the same page.
    expect(await visitor.locator('footer').getByRole('link', { name: 'Privacy: what is kept about you, and for how long' }).getAttribute('href')).to.equal(
      `/privacy/${suite.org.org.id}?lang=en`,
    );
    await visitor.getByRole('button', { name: 'Leave the waiting room' }).click();
    const stored = await visitor.evaluate(() => localStorage.getItem('consult.remember-me'));
    expect(JSON.parse(stored!), 'who they are, never the reason').to.deep.equal({ name: 'Kari Nordmann', phone: '91234567' });

    await visitor.getByRole('button', { name: 'Check in again' }).click();
    await passDeviceCheck(visitor);
    expect(await visitor.getByLabel('Your name').inputValue()).to.equal('Kari Nordmann');
    expect(await visitor.getByLabel('Phone number').inputValue()).to.equal('91234567');
    expect(await visitor.getByLabel('Reason for the visit').inputValue()).to.equal('');
    await visitor.getByRole('button', { name: 'Forget me on this device' }).click();
    expect(await visitor.getByLabel('Your name').inputValue()).to.equal('');
    expect(await visitor.evaluate(() => localStorage.getItem('consult.remember-me'))).to.equal(null);
  });

  it('a pseudonymous room: the professional makes an access code, the visitor checks in with it and no name, the list shows its label; the code works once', async () => {
    await suite.server.services.organizations.setCheckIn(suite.org.org.id, suite.org.room.id, { ...DEFAULT_CHECK_IN, pseudonymous: true });
    const pro = await suite.scene.professionalLogsIn();
    await pro.getByLabel('Label shown in the list (no health data)').fill('Sak 4711');
    await pro.getByRole('button', { name: 'Make a code' }).click();
    const code = await pro.getByLabel('Access code', { exact: true }).inputValue();
    expect(code).to.match(/^([A-Z2-9]{4}-){6}[A-Z2-9]{2}$/);

    const visitor = await suite.scene.page();
    await visitor.goto(`${suite.server.url}/r/${suite.org.room.slug}`);
    await passDeviceCheck(visitor);
    expect(await visitor.getByLabel('Your name').count(), 'no name asked').to.equal(0);
    expect(await visitor.getByLabel('Remember me on this device').count(), 'nothing of this form is remembered, so nothing is offered').to.equal(0);
    await visitor.getByLabel('Your access code').fill(code.toLowerCase());
    await visitor.getByRole('button', { name: 'Go to the waiting room' }).click();
    await visitor.getByRole('heading', { name: 'You are in the waiting room' }).waitFor();
    await pro.getByRole('button', { name: 'Admit Sak 4711' }).waitFor();

    // The same code again, in another browser: refused at the field, with what to do.
    const again = await suite.scene.page();
    await again.goto(`${suite.server.url}/r/${suite.org.room.slug}`);
    await passDeviceCheck(again);
    await again.getByLabel('Your access code').fill(code);
    await again.getByRole('button', { name: 'Go to the waiting room' }).click();
    await again.getByText('This code is not valid: it may have been used already or expired. Ask for a new one.').waitFor();
    await suite.server.services.organizations.setCheckIn(suite.org.org.id, suite.org.room.id, DEFAULT_CHECK_IN);
  });
});
