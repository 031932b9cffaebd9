import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { DEFAULT_CHECK_IN } from '../../signaling/protocol/index.ts';
import { addMember, createOrganization, type TestOrganization, type TestServer } from '../../signaling/src/test-support/test-server.ts';
import { TEST_PERSONS, type BankIdBroker } from '../../signaling/src/test-support/bankid-broker.ts';
import { adminOf, setUpBankId, startBankIdServer } from '../../signaling/src/test-support/bankid-setup.ts';
import { startStripeStandIn, stripeEnv, testStripeKeys, type StripeStandIn } from '../../signaling/src/test-support/stripe-stand-in.ts';
import { launchChromium, waitForMedia } from './browser.ts';
import { Consultation, passDeviceCheck } from './consultation.ts';
import { routeStripe } from './fake-stripe-js.ts';
import { eventually } from '../../signaling/src/test-support/eventually.ts';

/*
 * Every check-in step in one visit, in real Chromium: the device and network check, the room's form,
 * BankID at the broker stand-in's own login page (a real OpenID Connect provider), a card payment through
 * Stripe's Payment Element (Stripe.js and Stripe's API answered by stand-ins), the waiting room, the call;
 * the card is charged when the call ends, and the visitor sees the receipt.
 */
describe('a paid, BankID-identified consultation end to end (real Chromium, Redis, mediasoup, oidc-provider, Stripe stand-in)', function () {
  this.timeout(150_000);
  const stripeKeys = testStripeKeys();
  let stripe: StripeStandIn;
  let server: TestServer;
  let broker: BankIdBroker;
  let org: TestOrganization;
  let browser: Browser;
  let scene: Consultation;

  before(async () => {
    stripe = await startStripeStandIn(stripeKeys);
    ({ server, broker } = await startBankIdServer({
      ...stripeEnv(stripeKeys, stripe),
    }));
    org = await createOrganization(server.services, { name: 'Paid Clinic' });
    await setUpBankId(server, await adminOf(server, org.org.id), broker);
    await server.services.organizations.setCheckIn(org.org.id, org.room.id, { ...DEFAULT_CHECK_IN, phone: { enabled: true, required: true }, bankId: true });
    browser = await launchChromium();
    scene = new Consultation(browser, server, org);
  });
  afterEach(async function () {
    await scene.end(this.currentTest?.state === 'failed' ? this.currentTest.title : undefined);
  });
  after(async () => {
    await browser?.close();
    await broker?.close();
    await server?.close();
    await stripe?.close();
  });

  it('form, BankID, a declined card then a good one, the waiting room with what the professional needs on the card, the call, the charge and the receipt; the admin refunds part of it', async () => {
    // The admin prices the room on the Organization page.
    const adminMember = await addMember(server.services, org.org.id, { name: 'Anne Admin', role: 'admin' });
    const admin = await scene.professionalLogsIn(undefined, adminMember);
    await admin.getByRole('button', { name: 'Organization' }).click();
    const priceForm = admin.getByRole('form', { name: `Price of ${org.room.name}` });
    await priceForm.getByLabel('Price per consultation (empty: free)').fill('650');
    await priceForm.getByLabel('Currency').selectOption('NOK');
    await priceForm.getByRole('button', { name: 'Save price' }).click();
    await priceForm.getByText('Visitors pay').waitFor();
    await eventually(async () => expect((await server.services.organizations.getRoom(org.org.id, org.room.id))!.price).to.deep.equal({ amount: 65_000, currency: 'NOK' }), { what: 'the price saved' });

    const pro = await scene.professionalLogsIn();
    const visitor = await scene.page();
    await routeStripe(visitor, stripe.url);
    await visitor.goto(`${server.url}/r/${org.room.slug}`);
    await visitor.locator('.network-rating').waitFor({ timeout: 30_000 });
    const rating = await visitor.locator('.network-rating').getAttribute('data-rating');
    await passDeviceCheck(visitor);
    await visitor.getByLabel('Your name').fill('Ola N.');
    await visitor.getByLabel('Phone number').fill('+47 912 34 567');
    await visitor.getByRole('button', { name: 'Go to the waiting room' }).click();

    // Not in the waiting room yet: BankID first. Off to the broker's own login page and back.
    await visitor.getByRole('heading', { name: 'Identify with BankID' }).waitFor();
    expect(await pro.getByRole('listitem').filter({ hasText: 'Ola N.' }).count(), 'not waiting before the steps are done').to.equal(0);
    await visitor.getByRole('button', { name: 'Identify with BankID' }).click();
    await visitor.waitForURL((url) => url.origin === broker.issuer);
    await visitor.getByPlaceholder('Enter any login').fill(TEST_PERSONS.ola.login);
    await visitor.getByPlaceholder('and password').fill('any password');
    await visitor.getByRole('button', { name: 'Sign-in' }).click();

    // Back on our page: the payment step, in its own frame (the only page where Stripe.js runs). A declined
    // card first: said plainly, nothing charged, try again.
    const payment = visitor.frameLocator('iframe.pay-frame');
    await payment.getByRole('heading', { name: 'Payment' }).waitFor();
    expect(new URL(visitor.url()).hash, 'the outcome is read and cleared').to.equal('');
    await payment.getByText('The consultation costs').waitFor();
    // The note on Stripe's cookies links the organization's privacy page, in a tab of its own (the payment stays).
    const [privacy] = await Promise.all([visitor.context().waitForEvent('page'), payment.getByRole('link', { name: 'see the privacy page' }).click()]);
    await privacy.getByRole('heading', { name: `Privacy at ${org.org.name}` }).waitFor();
    expect(new URL(privacy.url()).pathname).to.equal(`/privacy/${org.org.id}`);
    await privacy.getByText('Stripe’s cookies: on the payment step only').waitFor();
    await privacy.close();
    const payFrame = visitor.frames().find((f) => new URL(f.url()).pathname === `/r/${org.room.slug}/pay`);
    expect(await payFrame?.evaluate(() => typeof (window as { Stripe?: unknown }).Stripe), 'Stripe.js runs in the frame').to.equal('function');
    expect(await visitor.evaluate(() => typeof (window as { Stripe?: unknown }).Stripe), 'and not in the visitor app').to.equal('undefined');
    await payment.getByLabel('Card number').fill('4000 0000 0000 0002');
    await payment.getByRole('button', { name: 'Reserve the amount and go on' }).click();
    await payment.getByTestId('payment-declined').waitFor();
    expect(await payment.getByTestId('payment-declined').textContent()).to.include('Nothing was charged');
    expect([...stripe.intents.values()].every((i) => i.amount_received === 0)).to.equal(true);
    await payment.getByLabel('Card number').fill('4242 4242 4242 4242');
    await payment.getByRole('button', { name: 'Reserve the amount and go on' }).click();
    await visitor.getByText(`${org.professional.name} has been told you are here.`).waitFor();

    // The card is taken: the frame is gone, and Stripe.js with it, before the waiting room (and the call).
    const stripeInApp = () =>
      visitor.evaluate(() => ({
        scripts: [...document.scripts].filter((s) => s.src.includes('stripe')).length,
        frames: document.querySelectorAll('iframe').length,
        Stripe: typeof (window as { Stripe?: unknown }).Stripe,
      }));
    expect(await stripeInApp(), 'in the waiting room').to.deep.equal({ scripts: 0, frames: 0, Stripe: 'undefined' });
    expect(visitor.frames().map((f) => f.url()), 'no frame left').to.deep.equal([visitor.url()]);
    const appPage = await fetch(`${server.url}/r/${org.room.slug}`);
    await appPage.body?.cancel();
    expect(appPage.headers.get('content-security-policy'), 'the visitor app’s CSP').not.to.contain('stripe');
    const [intent] = [...stripe.intents.values()];
    expect(intent).to.deep.include({ status: 'requires_capture', amount: 65_000, currency: 'nok' });

    // The queue card: the name BankID verified, with the mark and the network as measured; the national id
    // only when the professional asks for it (need to know), and each showing is audited.
    const card = pro.getByRole('listitem').filter({ hasText: 'Ola N.' });
    await card.getByText('Verified with BankID').waitFor();
    await card.getByText(TEST_PERSONS.ola.name).waitFor();
    expect(TEST_PERSONS.ola.birthdate).to.equal('1970-01-01');
    await card.getByText('born 1 January 1970').waitFor();
    expect(await card.locator('[data-rating]').getAttribute('data-rating')).to.equal(rating);
    expect(await pro.content(), 'the number is not on the page before it is asked for').not.to.include(TEST_PERSONS.ola.socialno);
    const showings = async () => (await server.services.audit.list(org.org.id, { action: 'view_identity' })).entries.length;
    await card.getByRole('button', { name: 'Show national identity number' }).click();
    await card.getByText(TEST_PERSONS.ola.socialno).waitFor();
    expect(await showings()).to.equal(1);
    // Shown for as long as it is needed: hidden again with one click, and hiding is not a showing.
    await card.getByRole('button', { name: 'Hide national identity number' }).click();
    await card.getByRole('button', { name: 'Show national identity number' }).waitFor();
    expect(await pro.content(), 'hidden means gone from the page').not.to.include(TEST_PERSONS.ola.socialno);
    expect(await showings()).to.equal(1);

    // Admitted: the call runs; nothing is charged until it ends.
    await pro.getByRole('button', { name: 'Admit Ola N.' }).click();
    await waitForMedia(visitor, (m) => m.framesDecoded > 10 && m.totalAudioEnergy > 0, 'the visitor sees and hears the professional');
    expect(stripe.intents.get(intent!.id)!.status).to.equal('requires_capture');
    expect(await stripeInApp(), 'in the call').to.deep.equal({ scripts: 0, frames: 0, Stripe: 'undefined' });
    // The call screen has the visitor's verified card too, the number again on request (and audited again).
    const inCall = pro.getByRole('group', { name: 'Verified with BankID' });
    await inCall.getByText(TEST_PERSONS.ola.name).waitFor();
    expect(await pro.content()).not.to.include(TEST_PERSONS.ola.socialno);
    await inCall.getByRole('button', { name: 'Show national identity number' }).click();
    await inCall.getByText(TEST_PERSONS.ola.socialno).waitFor();
    expect(await showings()).to.equal(2);
    await inCall.getByRole('button', { name: 'Hide national identity number' }).click();
    await inCall.getByRole('button', { name: 'Show national identity number' }).waitFor();
    expect(await pro.content()).not.to.include(TEST_PERSONS.ola.socialno);
    expect(await showings(), 'nothing audited on hide').to.equal(2);
    await pro.getByRole('button', { name: 'End the call' }).click();
    await visitor.getByRole('heading', { name: 'The consultation has ended' }).waitFor();
    const receipt = visitor.getByRole('region', { name: 'Receipt' });
    await receipt.getByText('Paid', { exact: true }).waitFor({ timeout: 15_000 });
    await receipt.getByText(intent!.id).waitFor();
    expect(stripe.intents.get(intent!.id)).to.deep.include({ status: 'succeeded', amount_received: 65_000 });
    expect(stripe.requests.filter((r) => r.path === `/v1/payment_intents/${intent!.id}/capture`)).to.have.length(1);

    // The admin sees the payment (no name on it) and refunds part of it; more than is left is refused.
    admin.on('dialog', (dialog) => void dialog.accept());
    await admin.reload();
    await admin.getByRole('button', { name: 'Organization' }).click();
    const row = admin.getByRole('row').filter({ hasText: intent!.id });
    await row.getByText('Charged').waitFor();
    expect(await row.textContent()).not.to.include('Ola');
    const refund = row.getByRole('form', { name: `Refund ${intent!.id}` });
    await refund.getByRole('textbox').fill('150');
    await refund.getByRole('button', { name: 'Refund' }).click();
    await row.getByText('Partly refunded').waitFor();
    await refund.getByRole('textbox').fill('600');
    await refund.getByRole('button', { name: 'Refund' }).click();
    await admin.getByText(/At most .*500.* can be refunded/).waitFor();
    const refunds = stripe.requests.filter((r) => r.path === '/v1/refunds');
    expect(refunds, 'one refund reached Stripe').to.have.length(1);
  });

  it('back from a bank’s page, the payment frame’s address loses the client secret Stripe put in it before anything else runs', async () => {
    const page = await scene.page();
    const secret = 'pi_3Returned_secret_NotForAnyLog';
    await page.goto(`${server.url}/r/${org.room.slug}/pay?payment_intent=pi_3Returned&payment_intent_client_secret=${secret}&redirect_status=succeeded`);
    await page.waitForFunction(() => location.search === '');
    expect(page.url()).to.equal(`${server.url}/r/${org.room.slug}/pay`);
    expect(await page.evaluate(() => history.state)).to.equal(null);
    expect(server.logs().join('\n')).not.to.contain(secret);
  });
});
