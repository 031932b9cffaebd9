import { expect } from 'chai';
import { DEFAULT_CHECK_IN, type CheckInConfig } from '../../protocol/index.ts';
import { createOrganization, postJson, startTestServer, type TestServer } from '../test-support/test-server.ts';
import { adminOf, setUpBankId, startBankIdServer, type AdminAuth } from '../test-support/bankid-setup.ts';
import type { BankIdBroker } from '../test-support/bankid-broker.ts';
import { testStripeKeys } from '../test-support/stripe-stand-in.ts';
import { FLOW_COOKIE_MINUTES } from '../bankid/bankid.ts';
import { startTwilioStandIn } from '../test-support/twilio-stand-in.ts';
import { SmtpStandIn } from '../test-support/smtp-stand-in.ts';
import { loadConfig } from '../config.ts';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

const TWILIO = { sid: `AC${'7'.repeat(32)}`, token: 'twilio-test-auth-token-0000', from: '+4759440000' };
const HOSTING_PROVIDER = 'Example Cloud AS, Norway';

/** The page's text without tags or entities, with whitespace collapsed: what a reader sees. */
const visibleText = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/\s+/g, ' ');

/*
 * Each organization's privacy page, made from its settings on each request: what is stored and for how long
 * (its retention period, its bookkeeping years), BankID and card payment only where it uses them, the
 * browser storage, the processors, and its contact for access, correction and erasure. Public; unknown
 * organizations get 404; nothing about any person on it.
 */
describe('the privacy page per organization (real server, BankID broker stand-in)', function () {
  let server: TestServer;
  let broker: BankIdBroker;
  let twilio: Awaited<ReturnType<typeof startTwilioStandIn>>;
  const stripeKeys = testStripeKeys();

  before(async () => {
    twilio = await startTwilioStandIn(TWILIO.sid, TWILIO.token);
    ({ server, broker } = await startBankIdServer({
      TWILIO_ACCOUNT_SID: TWILIO.sid,
      TWILIO_AUTH_TOKEN: TWILIO.token,
      TWILIO_FROM: TWILIO.from,
      TWILIO_API_BASE_URL: twilio.url,
      WEBHOOK_ALLOWED_ADDRESS_RANGES: '127.0.0.0/8',
      WEBHOOK_ALLOW_PLAIN_HTTP: 'true',
      HOSTING_PROVIDER,
      STRIPE_SECRET_KEY: stripeKeys.secretKey,
      STRIPE_PUBLISHABLE_KEY: stripeKeys.publishableKey,
      STRIPE_WEBHOOK_SECRET: stripeKeys.webhookSecret,
      // (The test server logs to its own stream; the page only reads the settings.)
      LOG_DIR: path.join(os.tmpdir(), 'consult-privacy-page-logs'),
      LOG_RETENTION_DAYS: '21',
    }));
  });
  after(async () => {
    await broker?.close();
    await server?.close();
    await twilio?.close();
  });

  const page = async (orgId: string, opts: { lang?: string; acceptLanguage?: string } = {}) => {
    const res = await fetch(`${server.url}/privacy/${orgId}${opts.lang ? `?lang=${opts.lang}` : ''}`, {
      headers: opts.acceptLanguage ? { 'accept-language': opts.acceptLanguage } : {},
    });
    return { status: res.status, type: res.headers.get('content-type') ?? '', language: res.headers.get('content-language'), html: await res.text() };
  };
  const text = async (orgId: string, lang = 'en') => {
    const p = await page(orgId, { lang });
    expect(p.status).to.equal(200);
    return visibleText(p.html);
  };
  const call = (admin: AdminAuth, method: string, path: string, body: unknown) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: { origin: server.origin, 'content-type': 'application/json', ...admin.headers },
      body: JSON.stringify(body),
    });

  it('has a readable measure from a stylesheet of its own, which the site’s CSP allows (no inline style)', async () => {
    const { org } = await createOrganization(server.services, { name: 'Layout Clinic' });
    const res = await fetch(`${server.url}/privacy/${org.id}`);
    const html = await res.text();
    const href = /<link rel="stylesheet" href="([^"]+)">/.exec(html)?.[1];
    expect(href, 'the page links a stylesheet').to.be.a('string');
    expect(html, 'no inline style for the CSP to block').not.to.match(/<style|style=/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(/style-src 'self'/.test(csp) && new URL(href!, server.url).origin === new URL(server.url).origin, 'the CSP lets the page load it').to.equal(true);
    const css = await fetch(new URL(href!, server.url));
    expect([css.status, css.headers.get('content-type')]).to.deep.equal([200, 'text/css; charset=utf-8']);
    const rules = await css.text();
    expect(rules, 'lines of a readable length').to.match(/main\{[^}]*max-width:40em/);
    expect(rules, 'a margin on a phone').to.match(/main\{[^}]*padding:/);
    expect(rules, 'long addresses wrap').to.match(/overflow-wrap:break-word/);
  });

  it('says of waiting-room messages, plainly, what their encryption protects and what it does not', async () => {
    const { org } = await createOrganization(server.services, { name: 'Message Clinic' });
    expect(await text(org.id)).to.include(
      'Messages you exchange while you wait: encrypted in your browser for this room’s professionals, and stored by us only in that form. Unlike the call, there is no safety code to check their keys, so this protects the messages from a copy of our database, not from our server itself.',
    );
    expect(await text(org.id, 'nb')).to.include('Til forskjell fra samtalen finnes det ingen sikkerhetskode for å sjekke nøklene deres');
  });

  it('an unknown or malformed organization id gets the same 404', async () => {
    const known = await createOrganization(server.services, { name: 'Known Clinic' });
    const unknown = await page('0123456789abcdef0123456789abcdef');
    const malformed = await page('not-an-id');
    expect([unknown.status, malformed.status]).to.deep.equal([404, 404]);
    expect(unknown.html).to.equal(malformed.html);
    expect(unknown.html).not.to.include('Known Clinic');
    expect((await page(known.org.id)).status).to.equal(200);
  });

  it('says what is kept and for how long from the organization’s settings, in English and Norwegian', async () => {
    const { org } = await createOrganization(server.services, { name: 'Fjord & <Klinikk>', retentionDays: 30 });
    const yearly = await createOrganization(server.services, { name: 'Yearly Clinic', retentionDays: 365 });
    const en = await page(org.id);
    expect([en.status, en.type, en.language]).to.deep.equal([200, 'text/html; charset=utf-8', 'en']);
    expect(en.html, 'the name is escaped').to.include('Fjord &amp; &lt;Klinikk&gt;').and.not.include('<Klinikk>');
    const english = visibleText(en.html);
    expect(english).to.include('Privacy at Fjord & <Klinikk>');
    expect(english).to.include('messages, technical data and call records: 30 days, then they are deleted');
    expect(english).to.include('The audit log (which staff member opened or changed what, and when): 365 days');
    expect(english).to.include('Application logs: 21 days');
    expect(english).to.include('Your visit’s key (local storage): until the visit ends');
    expect(english).to.include('Your check-in answers: your name.');
    expect(english).to.include(`${HOSTING_PROVIDER} (hosting): runs the machines`);
    expect(english).to.include('they have not yet given a privacy contact');
    for (const absent of ['BankID', 'Stripe', 'Payment records', 'national identity number', 'e-mail']) expect(english).not.to.include(absent);
    expect(await text(yearly.org.id)).to.include('call records: 365 days');

    const norsk = visibleText((await page(org.id, { lang: 'nb' })).html);
    expect(norsk).to.include('Personvern hos Fjord & <Klinikk>');
    expect(norsk).to.include('samtalelogg: 30 dager, så slettes de');
    expect(norsk).to.include('Programlogger: 21 dager');
    const byBrowser = await page(org.id, { acceptLanguage: 'nb-NO,nb;q=0.9,en;q=0.5' });
    expect([byBrowser.language, visibleText(byBrowser.html)]).to.deep.equal(['nb', norsk]);
    expect((await page(org.id, { lang: 'de', acceptLanguage: 'no' })).language, 'an unknown ?lang= falls back to the browser').to.equal('nb');
  });

  it('speaks nynorsk, Swedish and Danish too, chosen by ?lang= or the browser, and links to every other language', async () => {
    const { org } = await createOrganization(server.services, { name: 'Nordisk Klinikk', retentionDays: 1 });
    const nynorsk = visibleText((await page(org.id, { lang: 'nn' })).html);
    expect(nynorsk).to.include('Personvern hos Nordisk Klinikk');
    expect(nynorsk).to.include('samtalelogg: 1 dag, så blir dei sletta');
    expect(nynorsk).to.include('Kva nettlesaren din tek vare på');
    const svenska = await page(org.id, { acceptLanguage: 'sv-SE,sv;q=0.9,en;q=0.8' });
    expect(svenska.language).to.equal('sv');
    expect(visibleText(svenska.html)).to.include('Integritet hos Nordisk Klinikk');
    expect(visibleText(svenska.html)).to.include('samtalsuppgifter: 1 dag, sedan raderas de');
    expect(visibleText(svenska.html)).to.include('Programloggar: 21 dagar');
    const dansk = await page(org.id, { acceptLanguage: 'da-DK,da;q=0.9' });
    expect(dansk.language).to.equal('da');
    expect(visibleText(dansk.html)).to.include('Privatliv hos Nordisk Klinikk');
    expect(visibleText(dansk.html)).to.include('samtaleoplysninger: 1 dag, derefter slettes de');
    expect(visibleText(dansk.html)).to.include('Programlogge: 21 dage');
    expect(dansk.html).to.include('<html lang="da">');
    for (const lang of ['en', 'nb', 'nn', 'sv']) expect(dansk.html, lang).to.include(`hreflang="${lang}"`);
    expect(dansk.html).not.to.include('hreflang="da"');
    expect((await page(org.id, { acceptLanguage: 'nn-NO' })).language).to.equal('nn');
    expect((await page(org.id, { acceptLanguage: 'de-DE' })).language).to.equal('en');
  });

  it('names the form’s questions, BankID and card payment only where the organization uses them, and follows each change', async () => {
    const { org, room } = await createOrganization(server.services, { name: 'Changing Clinic', retentionDays: 60 });
    const admin = await adminOf(server, org.id);

    // The form: more questions, more named.
    const form: CheckInConfig = { ...DEFAULT_CHECK_IN, phone: { enabled: true, required: true }, reason: { enabled: true, required: false } };
    expect((await call(admin, 'PUT', `/api/admin/rooms/${room.id}/check-in`, form)).status).to.equal(200);
    expect(await text(org.id)).to.include('Your check-in answers: your name, your phone number and the reason for your visit, in your words.');

    // BankID: set up at the organization, but used by no room yet: not named.
    await setUpBankId(server, admin, broker, { collectNationalId: true });
    expect(await text(org.id)).not.to.include('BankID');
    expect((await call(admin, 'PUT', `/api/admin/rooms/${room.id}/check-in`, { ...form, bankId: true })).status).to.equal(200);
    let english = await text(org.id);
    const brokerHost = new URL(broker.issuer).host;
    expect(english).to.include(`The BankID broker at ${brokerHost}`);
    expect(english).to.include('your name and date of birth as BankID confirms them, and your national identity number (stored encrypted)');
    expect(english).to.include('A BankID cookie: for at most 10 minutes');
    expect(english).to.include('Check-in answers, BankID results, messages');
    expect(await text(org.id, 'nb')).to.include('fødselsnummeret ditt');
    await setUpBankId(server, admin, broker, { collectNationalId: false });
    expect(await text(org.id)).to.include('BankID result').and.not.include('national identity number');
    expect((await call(admin, 'PUT', `/api/admin/rooms/${room.id}/check-in`, { ...form, bankId: false })).status).to.equal(200);
    expect(await text(org.id), 'BankID off again').not.to.include('BankID');

    // Card payment: a price names Stripe, its cookies and the bookkeeping period; the period follows its setting.
    expect((await call(admin, 'PUT', `/api/admin/rooms/${room.id}/price`, { price: { amount: 50_000, currency: 'NOK' } })).status).to.equal(200);
    english = await text(org.id);
    expect(english).to.include('Stripe (card payment)');
    expect(english).to.include('Stripe’s cookies: on the payment step only');
    expect(english).to.include('Payment records: 5 years after the end of the financial year');
    expect((await call(admin, 'PATCH', '/api/admin/organization', { bookkeepingYears: 7 })).status).to.equal(200);
    expect(await text(org.id)).to.include('Payment records: 7 years after');
    expect(await text(org.id, 'nb')).to.include('Betalingsopplysninger: 7 år etter utgangen av regnskapsåret');
    expect((await call(admin, 'PUT', `/api/admin/rooms/${room.id}/price`, { price: null })).status).to.equal(200);
    english = await text(org.id);
    for (const absent of ['Stripe', 'Payment records']) expect(english, 'free again').not.to.include(absent);
  });

  it('states the organization’s own audit retention, and every figure on the page is one of its settings', async () => {
    const { org, room } = await createOrganization(server.services, { name: 'Figures Clinic', retentionDays: 17 });
    const admin = await adminOf(server, org.id);
    expect((await call(admin, 'PATCH', '/api/admin/audit/settings', { auditRetentionDays: 45 })).status).to.equal(200);
    expect(await text(org.id)).to.include('The audit log (which staff member opened or changed what, and when): 45 days.');
    expect(await text(org.id, 'nb')).to.include('Revisjonsloggen (hvilken ansatt som åpnet eller endret hva, og når): 45 dager.');
    const other = await createOrganization(server.services, { name: 'Default Audit Clinic' });
    expect(await text(other.org.id), 'another organization keeps its own').to.include('when): 365 days.');

    // Everything turned on, each setting a figure of its own: the page holds those figures and no other.
    expect((await call(admin, 'PATCH', '/api/admin/organization', { bookkeepingYears: 7 })).status).to.equal(200);
    await setUpBankId(server, admin, broker, { collectNationalId: true });
    const form: CheckInConfig = { ...DEFAULT_CHECK_IN, phone: { enabled: true, required: true }, birthDate: { enabled: true, required: false }, bankId: true };
    expect((await call(admin, 'PUT', `/api/admin/rooms/${room.id}/check-in`, form)).status).to.equal(200);
    expect((await call(admin, 'PUT', `/api/admin/rooms/${room.id}/price`, { price: { amount: 50_000, currency: 'NOK' } })).status).to.equal(200);
    const brokerHost = new URL(broker.issuer).host;
    // (The reminders, 24 hours and 1 hour before, are a setting too: the server sends invitations by SMS.)
    const settings = { retentionDays: '17', auditRetentionDays: '45', bookkeepingYears: '7', LOG_RETENTION_DAYS: '21', bankIdCookieMinutes: String(FLOW_COOKIE_MINUTES), reminders: ['24', '1'] };
    for (const lang of ['en', 'nb', 'nn', 'sv', 'da']) {
      const figures = (await text(org.id, lang)).split(brokerHost).join(' ').match(/\d+/g) ?? [];
      expect(new Set(figures), lang).to.deep.equal(new Set(Object.values(settings).flat()));
    }
  });

  it('names exactly the recipients of what each organization has turned on: hosting, Twilio, the record system, webhook hosts, BankID broker, Stripe', async () => {
    /** The "who else" list: each recipient's name, up to its role in brackets. */
    const recipients = async (orgId: string, lang = 'en') => {
      const html = (await page(orgId, { lang })).html;
      const heading = lang === 'en' ? 'Who else processes your data' : 'Hvem andre som behandler opplysningene dine';
      const section = html.slice(html.indexOf(`<h2>${heading}</h2>`)).split('</section>')[0]!;
      const items = [...section.matchAll(/<li>(.*?)<\/li>/g)].map((m) => visibleText(m[1]!));
      return { names: items.map((i) => i.slice(0, i.indexOf(')') + 1)), items };
    };
    const hosting = `${HOSTING_PROVIDER} (hosting)`;

    // On a server that sends SMS, any member may text a visitor their invitation from the dashboard.
    const plain = await createOrganization(server.services, { name: 'Plain Clinic' });
    const invitedBySms = await recipients(plain.org.id);
    expect(invitedBySms.names, 'nothing turned on').to.deep.equal(['Twilio (SMS)', hosting]);
    expect(invitedBySms.items[0]).to.include('sends you your invitation and reminders by text message when Plain Clinic invites you that way; it gets your phone number');

    // An API key: the record system may prefill and read; it may have Twilio text visitors their invitation.
    const ehr = await createOrganization(server.services, { name: 'Record Clinic' });
    const ehrAdmin = await adminOf(server, ehr.org.id);
    expect((await call(ehrAdmin, 'POST', '/api/admin/api-keys', { name: 'EHR' })).status).to.equal(201);
    const withApi = await recipients(ehr.org.id);
    expect(withApi.names).to.deep.equal(['Twilio (SMS)', 'Record Clinic’s record system (EHR)', hosting]);
    const twilioText = withApi.items[0]!;
    expect(twilioText).to.include('it gets your phone number, the time of your appointment and your link').and.include('Twilio Inc., USA');
    expect(twilioText).not.to.include('nothing about you');
    expect(withApi.items[1]).to.include('may fill in your name and phone number in advance');
    expect((await recipients(ehr.org.id, 'nb')).items[0]).to.include('Twilio får telefonnummeret ditt');

    // Webhook endpoints: each host named once, with what its endpoints subscribed to and nothing more.
    const hooked = await createOrganization(server.services, { name: 'Hook Clinic' });
    const hookAdmin = await adminOf(server, hooked.org.id);
    const endpointIds: string[] = [];
    for (const url of ['http://127.0.0.1:4001/consult', 'http://127.0.0.1:4001/other', 'http://127.0.0.2:4002/events']) {
      const res = await call(hookAdmin, 'POST', '/api/admin/webhooks', { url, events: ['visitor.arrived'] });
      expect(res.status).to.equal(201);
      endpointIds.push(((await res.json()) as { endpoint: { id: string } }).endpoint.id);
    }
    const onlyArrivals = await recipients(hooked.org.id);
    expect(onlyArrivals.names).to.deep.equal(['Twilio (SMS)', 'Hook Clinic’s systems at 127.0.0.1:4001 and 127.0.0.2:4002 (notifications)', hosting]);
    expect(onlyArrivals.items[1]).to.include('(notifications): told when you arrive, under Hook Clinic’s own reference; never your name, answers or messages.');
    for (const unheard of ['let in', 'leave', 'pay', 'charged', 'how long']) expect(onlyArrivals.items[1], unheard).not.to.include(unheard);
    expect((await recipients(hooked.org.id, 'nb')).items[1]).to.include('(varsler): får vite når du kommer, under referansen til Hook Clinic;');

    // One host hears more: it is named apart, with its endpoints' events together (in the order things happen).
    expect((await call(hookAdmin, 'PATCH', `/api/admin/webhooks/${endpointIds[1]}`, { events: ['payment.captured', 'call.ended', 'visitor.admitted'] })).status).to.equal(200);
    const more = await recipients(hooked.org.id);
    expect(more.names).to.deep.equal(['Twilio (SMS)', 'Hook Clinic’s systems at 127.0.0.1:4001 (notifications)', 'Hook Clinic’s systems at 127.0.0.2:4002 (notifications)', hosting]);
    expect(more.items[1]).to.include(
      '(notifications): told when you arrive, you are let in, the call ends or your card is charged, and how long the call lasted and the amount, under Hook Clinic’s own reference',
    );
    expect(more.items[2]).to.include('(notifications): told when you arrive, under');
    expect((await recipients(hooked.org.id, 'nb')).items[1]).to.include(
      '(varsler): får vite når du kommer, du slippes inn, samtalen slutter eller kortet ditt belastes, og hvor lenge samtalen varte og beløpet, under referansen til Hook Clinic;',
    );

    // A member opted in to arrival alerts: Twilio gets staff numbers, nothing about the visitor.
    const alerted = await createOrganization(server.services, { name: 'Alert Clinic' });
    const member = await adminOf(server, alerted.org.id);
    expect((await call(member, 'POST', '/api/settings/sms/phone', { phone: '+4791234599' })).status).to.equal(204);
    const code = /\b(\d{6})\b/.exec(twilio.sent.filter((m) => m.to === '+4791234599').at(-1)!.body)![1]!;
    expect((await call(member, 'POST', '/api/settings/sms/verify', { code })).status).to.equal(200);
    const withAlerts = await recipients(alerted.org.id);
    expect(withAlerts.names).to.deep.equal(['Twilio (SMS)', hosting]);
    expect(withAlerts.items[0]).to.include('it also sends staff a text message when someone is waiting; it gets the staff member’s phone number and a link');

    // BankID in a room and a price: the broker and Stripe.
    const full = await createOrganization(server.services, { name: 'Full Clinic' });
    const fullAdmin = await adminOf(server, full.org.id);
    await setUpBankId(server, fullAdmin, broker);
    expect((await call(fullAdmin, 'PUT', `/api/admin/rooms/${full.room.id}/check-in`, { ...DEFAULT_CHECK_IN, bankId: true })).status).to.equal(200);
    expect((await call(fullAdmin, 'PUT', `/api/admin/rooms/${full.room.id}/price`, { price: { amount: 50_000, currency: 'NOK' } })).status).to.equal(200);
    expect((await recipients(full.org.id)).names).to.deep.equal([`The BankID broker at ${new URL(broker.issuer).host} (identification)`, 'Stripe (card payment)', 'Twilio (SMS)', hosting]);
    expect((await recipients(full.org.id, 'nb')).names).to.have.length(4);
  });

  it('shows the admin’s privacy contact as a link; a contact that is neither an e-mail address nor an https page is refused and changes nothing', async () => {
    const { org } = await createOrganization(server.services, { name: 'Contact Clinic' });
    const admin = await adminOf(server, org.id);
    const settings = async () => ((await (await fetch(`${server.url}/api/admin/organization`, { headers: admin.headers })).json()) as { settings: Record<string, unknown> }).settings;
    expect((await settings()).privacyContact).to.equal(null);
    const overview = (await (await fetch(`${server.url}/api/admin/organization`, { headers: admin.headers })).json()) as { privacyPage: string };
    expect(overview.privacyPage, 'the admin is given the page to link to').to.equal(`${server.origin}/privacy/${org.id}`);

    for (const bad of ['personvern at clinic', 'http://clinic.example/privacy', 'javascript:alert(1)', `${'a'.repeat(200)}@clinic.example`, 'https://', 42, '']) {
      const res = await call(admin, 'PATCH', '/api/admin/organization', { privacyContact: bad });
      expect([res.status, ((await res.json()) as { error: { code: string } }).error.code], String(bad)).to.deep.equal([400, 'bad_request']);
    }
    expect((await settings()).privacyContact).to.equal(null);

    expect((await call(admin, 'PATCH', '/api/admin/organization', { privacyContact: '  personvern@contact-clinic.example ' })).status).to.equal(200);
    expect((await settings()).privacyContact).to.equal('personvern@contact-clinic.example');
    let html = (await page(org.id)).html;
    expect(html).to.include('Contact: <a href="mailto:personvern@contact-clinic.example">personvern@contact-clinic.example</a>.');
    expect((await page(org.id, { lang: 'nb' })).html).to.include('Kontakt: <a href="mailto:personvern@contact-clinic.example">');

    expect((await call(admin, 'PATCH', '/api/admin/organization', { privacyContact: 'https://contact-clinic.example/personvern?a=1&b=2' })).status).to.equal(200);
    html = (await page(org.id)).html;
    expect(html).to.include('<a href="https://contact-clinic.example/personvern?a=1&amp;b=2">');

    expect((await call(admin, 'PATCH', '/api/admin/organization', { privacyContact: null })).status).to.equal(200);
    expect((await settings()).privacyContact).to.equal(null);
    expect(await text(org.id)).to.include('they have not yet given a privacy contact');
  });

  it('names the supervisory authority of the organization’s country (from its time zone) in every language, not the language’s', async () => {
    const { org } = await createOrganization(server.services, { name: 'Authority Clinic' });
    const admin = await adminOf(server, org.id);
    const expected: Record<string, Record<string, string>> = {
      'Europe/Oslo': {
        en: 'You may also complain to the Norwegian Data Protection Authority (Datatilsynet).',
        nb: 'Du kan også klage til Datatilsynet.',
        nn: 'Du kan òg klage til Datatilsynet.',
        sv: 'Du kan också klaga hos den norska dataskyddsmyndigheten (Datatilsynet).',
        da: 'Du kan også klage til det norske datatilsyn (Datatilsynet).',
      },
      'Europe/Stockholm': {
        en: 'You may also complain to the Swedish Authority for Privacy Protection (Integritetsskyddsmyndigheten, IMY).',
        nb: 'Du kan også klage til Integritetsskyddsmyndigheten (IMY), tilsynsmyndigheten i Sverige.',
        nn: 'Du kan òg klage til Integritetsskyddsmyndigheten (IMY), tilsynsstyresmakta i Sverige.',
        sv: 'Du kan också klaga hos Integritetsskyddsmyndigheten (IMY).',
        da: 'Du kan også klage til den svenske databeskyttelsesmyndighed (Integritetsskyddsmyndigheten, IMY).',
      },
      'Europe/Copenhagen': {
        en: 'You may also complain to the Danish Data Protection Agency (Datatilsynet).',
        nb: 'Du kan også klage til Datatilsynet i Danmark.',
        nn: 'Du kan òg klage til Datatilsynet i Danmark.',
        sv: 'Du kan också klaga hos den danska dataskyddsmyndigheten (Datatilsynet).',
        da: 'Du kan også klage til Datatilsynet.',
      },
      'Europe/Helsinki': {
        en: 'You may also complain to the data protection authority where you live.',
        nb: 'Du kan også klage til datatilsynsmyndigheten der du bor.',
        nn: 'Du kan òg klage til datatilsynsstyresmakta der du bur.',
        sv: 'Du kan också klaga hos dataskyddsmyndigheten där du bor.',
        da: 'Du kan også klage til databeskyttelsesmyndigheden, hvor du bor.',
      },
    };
    for (const [timeZone, byLanguage] of Object.entries(expected)) {
      expect((await call(admin, 'PATCH', '/api/admin/organization', { timeZone })).status, timeZone).to.equal(200);
      for (const [lang, sentence] of Object.entries(byLanguage)) {
        const page = await text(org.id, lang);
        expect(page, `${timeZone} in ${lang}`).to.include(sentence);
        // Only the one authority: a Swedish clinic's page read in bokmål names no Norwegian one.
        const others = Object.entries(expected).filter(([zone]) => zone !== timeZone).map(([, l]) => l[lang]!);
        for (const other of others) expect(page, `${timeZone} in ${lang}`).not.to.include(other);
      }
    }
  });

  it('holds nothing about any person: not the visitors who checked in, nor the members', async () => {
    const org = await createOrganization(server.services, { name: 'Discreet Clinic' });
    const admin = await adminOf(server, org.org.id);
    const form: CheckInConfig = { ...DEFAULT_CHECK_IN, phone: { enabled: true, required: true }, reason: { enabled: true, required: false } };
    expect((await call(admin, 'PUT', `/api/admin/rooms/${org.room.id}/check-in`, form)).status).to.equal(200);
    const visitor = { name: 'Sigvart Hallingstad', phone: '+47 955 11 223', reason: 'Søvnproblemer' };
    const res = await postJson(server, '/api/visits', { roomSlug: org.room.slug, answers: visitor });
    expect(res.status).to.equal(201);
    await res.body?.cancel();
    for (const lang of ['en', 'nb', 'nn', 'sv', 'da']) {
      const html = (await page(org.org.id, { lang })).html.toLowerCase();
      for (const value of [visitor.name, 'Hallingstad', visitor.phone, '955 11 223', visitor.reason, org.professional.name, org.professional.email, org.room.slug, org.room.id]) {
        expect(html, `${lang} page shows ${value}`).not.to.include(value.toLowerCase());
      }
      expect(html).to.include('discreet clinic');
    }
  });
});

describe('the privacy page of a server that sends invitations by e-mail and SMS (real server, SMTP stand-in)', function () {
  let server: TestServer;
  let smtp: SmtpStandIn;
  const stripeKeys = testStripeKeys();

  before(async () => {
    smtp = await SmtpStandIn.create();
    server = await startTestServer({
      env: {
        // With a user and password in it: the page names the server's host only.
        SMTP_URL: `smtp://mailer:smtp-secret-pass@127.0.0.1:${smtp.port}`,
        SMTP_FROM: 'Clinic <no-reply@clinic.example>',
        TWILIO_ACCOUNT_SID: TWILIO.sid,
        TWILIO_AUTH_TOKEN: TWILIO.token,
        TWILIO_FROM: TWILIO.from,
        STRIPE_SECRET_KEY: stripeKeys.secretKey,
        STRIPE_PUBLISHABLE_KEY: stripeKeys.publishableKey,
        STRIPE_WEBHOOK_SECRET: stripeKeys.webhookSecret,
      },
    });
  });
  after(async () => {
    await server?.close();
    await smtp?.stop();
  });

  const text = async (orgId: string, lang = 'en') => visibleText(await (await fetch(`${server.url}/privacy/${orgId}?lang=${lang}`)).text());
  const patch = async (orgId: string, path: string, body: unknown) => {
    const admin = await adminOf(server, orgId);
    const res = await fetch(`${server.url}${path}`, { method: path.endsWith('/price') ? 'PUT' : 'PATCH', headers: { origin: server.origin, 'content-type': 'application/json', ...admin.headers }, body: JSON.stringify(body) });
    expect(res.status, await res.clone().text()).to.equal(200);
  };

  it('says the phone number and e-mail address may be kept for the invitation and reminders, how long, and that the e-mail server (by its host) gets the address and the message', async () => {
    const { org } = await createOrganization(server.services, { name: 'Mail Clinic', retentionDays: 30 });
    const english = await text(org.id);
    expect(english).to.include(
      'Your mobile number or e-mail address, if Mail Clinic invites you to a consultation that way: to send you its link and reminders 24 hours and 1 hour before it. Stored encrypted, with a record of each message sent to you (when, which way, and whether it arrived).',
    );
    expect(english).to.include('Your mobile number and e-mail address for invitations, and the records of the messages sent to you: 30 days, then they are deleted.');
    expect(english).to.include(
      'The e-mail server at 127.0.0.1 (e-mail): sends you your invitation and reminders by e-mail when Mail Clinic invites you that way; it gets your e-mail address and the message (Mail Clinic’s name, the time of your appointment and your link), never your name or anything about your health.',
    );
    expect(english).to.include('Twilio (SMS): sends you your invitation and reminders by text message when Mail Clinic invites you that way');
    for (const lang of ['en', 'nb', 'nn', 'sv', 'da']) {
      const page = await text(org.id, lang);
      for (const secret of ['mailer', 'smtp-secret-pass', String(smtp.port)]) expect(page, `${lang}: ${secret}`).not.to.include(secret);
    }
    expect(await text(org.id, 'nb')).to.include('Mobilnummeret ditt eller e-postadressen din, hvis Mail Clinic inviterer deg til en konsultasjon på den måten: for å sende deg lenken og påminnelser 24 timer og 1 time før.');
    expect(await text(org.id, 'nn')).to.include('E-posttenaren på 127.0.0.1 (e-post): sender deg invitasjonen og påminningar på e-post');
    expect(await text(org.id, 'sv')).to.include('Mobilnummer och e-postadress för inbjudningar, och förteckningen över meddelanden vi har skickat till dig: 30 dagar, sedan raderas de.');
    expect(await text(org.id, 'da')).to.include('påmindelser 24 timer og 1 time før');
  });

  it('follows the organization’s reminders, and names the receipt by e-mail once a room has a price', async () => {
    const { org, room } = await createOrganization(server.services, { name: 'Reminding Clinic' });
    await patch(org.id, '/api/admin/organization', { reminderMinutes: [2880, 30] });
    expect(await text(org.id)).to.include('to send you its link and reminders 2 days and 30 minutes before it.');
    expect(await text(org.id, 'sv')).to.include('påminnelser 2 dygn och 30 minuter före');
    await patch(org.id, '/api/admin/organization', { reminderMinutes: [] });
    let english = await text(org.id);
    expect(english).to.include('to send you its link. Stored encrypted');
    expect(english).not.to.include('reminder');
    await patch(org.id, `/api/admin/rooms/${room.id}/price`, { price: { amount: 50_000, currency: 'NOK' } });
    english = await text(org.id);
    expect(english).to.include('to send you its link, and, by e-mail, the receipt for a card payment.');
    expect(english).to.include('sends you your invitation and the receipt for a card payment by e-mail');
    expect(english).to.include('your link; in a receipt, the amount)');
    expect(await text(org.id, 'nb')).to.include('og kvitteringen for en kortbetaling på e-post');
  });
});

describe('the privacy page of a server that logs to stdout (real server)', function () {
  it('gives no log retention of its own: whatever collects the logs keeps them', async () => {
    const server = await startTestServer({ env: { LOG_RETENTION_DAYS: '21' } });
    try {
      const { org } = await createOrganization(server.services, { name: 'Stdout Clinic' });
      const en = visibleText(await (await fetch(`${server.url}/privacy/${org.id}?lang=en`)).text());
      expect(en).to.include('Application logs: as long as the log system of the service’s operator keeps them.').and.not.include('21');
      const nb = visibleText(await (await fetch(`${server.url}/privacy/${org.id}?lang=nb`)).text());
      expect(nb).to.include('Programlogger: så lenge loggsystemet til driftsansvarlig for tjenesten tar vare på dem.');
    } finally {
      await server.close();
    }
  });
});

describe('HOSTING_PROVIDER, the hosting provider the privacy pages name', () => {
  const base = { PUBLIC_ORIGIN: 'https://video.example', REDIS_URL: 'redis://127.0.0.1:1', ADDRESS_HASH_KEY: 'x'.repeat(32), DATA_ENCRYPTION_KEYS: `k:${randomBytes(32).toString('base64')}` };

  it('is required in production, and is one line of plain text', () => {
    expect(() => loadConfig({ ...base, NODE_ENV: 'production' })).to.throw(/HOSTING_PROVIDER/);
    expect(loadConfig({ ...base, NODE_ENV: 'production', HOSTING_PROVIDER: ' Example Cloud AS, Norway ' }).HOSTING_PROVIDER).to.equal('Example Cloud AS, Norway');
    expect(loadConfig(base).HOSTING_PROVIDER, 'optional elsewhere').to.equal(undefined);
    for (const bad of ['x', 'Example\nCloud', '<script>', 'y'.repeat(201)]) expect(() => loadConfig({ ...base, HOSTING_PROVIDER: bad }), bad).to.throw(/HOSTING_PROVIDER/);
  });
});
