import { expect } from 'chai';
import { toBase64Url } from '../../../client/src/call-engine/e2ee/bytes.ts';
import { generateKeyPair } from '../../../client/src/call-engine/e2ee/key-exchange.ts';
import { sealMessage } from '../../../client/src/call-engine/e2ee/message-crypto.ts';
import { DEFAULT_CHECK_IN, type BankIdStarted, type ConsultationCreated, type VisitResponse } from '../../protocol/index.ts';
import { CookieJar, passBroker, TEST_PERSONS, type BankIdBroker } from '../test-support/bankid-broker.ts';
import { adminOf, setUpBankId, startBankIdServer } from '../test-support/bankid-setup.ts';
import { confirmAsBrowser, intentIdOf, startPayment } from '../test-support/payment-visits.ts';
import { dumpRedis } from '../test-support/redis-dump.ts';
import { letRedisTimePass } from '../test-support/redis-keys.ts';
import { startTwilioStandIn } from '../test-support/twilio-stand-in.ts';
import { TestReceiver } from '../webhooks/test-receiver.ts';
import { SmtpStandIn } from '../test-support/smtp-stand-in.ts';
import { eventually } from '../test-support/eventually.ts';
import { keys } from '../redis/keys.ts';
import { startStripeStandIn, TEST_CARDS, testStripeKeys, stripeEnv, type StripeStandIn } from '../test-support/stripe-stand-in.ts';
import {
  ask,
  createOrganization,
  deviceRtpCapabilities,
  memberApi,
  postJson,
  professionalSocket,
  testPublicKey,
  visitorSocket,
  type TestOrganization,
  type TestServer,
  linkTokenOf,
  consultationPagePath,
} from '../test-support/test-server.ts';

const RETENTION_SECONDS = 6;
const person = TEST_PERSONS.kari;
const PHONE = '+47 913 57 246';
const TWILIO = { sid: `AC${'1'.repeat(32)}`, token: 'twilio-test-auth-token-0000' };

/*
 * The privacy promise, proven: a visitor with every kind of data (a consultation link, the form, a device
 * check, BankID with the national id, a card payment, messages, a call with technical data, audit entries,
 * an invitation and a receipt by e-mail)
 * leaves nothing behind once the organization's retention has passed, or at once when erased: SCAN every
 * key and read every member of every set, sorted set, list, hash and stream. Only the bookkeeping record
 * of the payment (no name, no phone, no visitor) and audit entries naming the visitor by their opaque id
 * may remain.
 */
describe('zero residue after retention and after erasure (real server, Redis, mediasoup, oidc-provider, Stripe stand-in)', function () {
  this.timeout(60_000);
  const stripeKeys = testStripeKeys();
  let stripe: StripeStandIn;
  let server: TestServer;
  let broker: BankIdBroker;
  let org: TestOrganization;
  let twilio: Awaited<ReturnType<typeof startTwilioStandIn>>;
  let receiver: TestReceiver;
  let smtp: SmtpStandIn;
  let apiKey: string;

  before(async () => {
    stripe = await startStripeStandIn(stripeKeys);
    twilio = await startTwilioStandIn(TWILIO.sid, TWILIO.token);
    receiver = await TestReceiver.start();
    smtp = await SmtpStandIn.create();
    ({ server, broker } = await startBankIdServer({
      RETENTION_TEST_MINIMUM_SECONDS: '1',
      ...stripeEnv(stripeKeys, stripe),
      TWILIO_ACCOUNT_SID: TWILIO.sid,
      TWILIO_AUTH_TOKEN: TWILIO.token,
      TWILIO_FROM: '+4759440000',
      TWILIO_API_BASE_URL: twilio.url,
      WEBHOOK_ALLOWED_ADDRESS_RANGES: '127.0.0.0/8',
      WEBHOOK_ALLOW_PLAIN_HTTP: 'true',
      SMTP_URL: smtp.url,
      SMTP_FROM: 'Clinic <no-reply@clinic.example>',
    }));
    org = await createOrganization(server.services, { retentionSeconds: RETENTION_SECONDS });
    // The organization's EHR: an API key, and an endpoint that hears every event.
    apiKey = (await server.services.apiKeys.create(org.org.id, 'EHR', org.professional.id)).key;
    const admin = await adminOf(server, org.org.id);
    const endpoint = await fetch(`${server.url}/api/admin/webhooks`, {
      method: 'POST',
      headers: { origin: server.origin, 'content-type': 'application/json', ...admin.headers },
      body: JSON.stringify({ url: receiver.url, events: ['consultation.created', 'visitor.arrived', 'visitor.admitted', 'call.started', 'call.ended', 'payment.captured'] }),
    });
    expect(endpoint.status, await endpoint.clone().text()).to.equal(201);
    await setUpBankId(server, await adminOf(server, org.org.id), broker);
    await server.services.organizations.setCheckIn(org.org.id, org.room.id, {
      ...DEFAULT_CHECK_IN,
      phone: { enabled: true, required: true },
      birthDate: { enabled: true, required: true },
      bankId: true,
    });
    await server.services.organizations.setPrice(org.org.id, org.room.id, { amount: 45_000, currency: 'NOK' });
  });
  after(async () => {
    await broker?.close();
    await server?.close();
    await stripe?.close();
    await twilio?.close();
    await receiver?.close();
    await smtp?.stop();
  });

  /** One visitor with every kind of data there is; answers what identifies them. */
  async function visitorWithEverything(name: string) {
    const pro = await memberApi(server, org.org.id, org.professional.id);
    const proSocket = await professionalSocket(server, pro.cookie);
    // A consultation made by the EHR through the API (its reference, the prefilled name and phone), its
    // link sent by SMS, and a device check that went with the check-in.
    const reference = `EHR-${Math.random().toString(36).slice(2, 10)}`;
    const v1 = (path: string, body: unknown) =>
      fetch(`${server.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const made = await v1('/api/v1/consultations', { roomId: org.room.id, externalReference: reference, visitor: { name, phone: PHONE.replace(/\s/g, '') } });
    expect(made.status, await made.clone().text()).to.equal(201);
    const consultation = (await made.json()) as { id: string; visitorLink: string };
    expect((await v1(`/api/v1/consultations/${consultation.id}/sms-invitation`, {})).status).to.equal(202);
    const invitationSid = `SM${String(twilio.sent.length).padStart(32, '0')}`;
    // ...and by e-mail (the receipt for the card payment below goes to the same address).
    const address = `${name.split(' ')[0]!.toLowerCase()}.${Math.random().toString(36).slice(2, 8)}@example.no`;
    const emailId = await server.services.email.enqueue(org.org.id, {
      kind: 'consultation-invitation',
      consultationId: consultation.id,
      to: address,
      language: 'nb',
      scheduledAt: null,
      link: consultation.visitorLink,
    });
    const link = linkTokenOf(consultation.visitorLink);
    const checkId = 'e'.repeat(32);
    await server.services.networkChecks.save(checkId, { rttMs: 30, lossPercent: 0, bitrateKbps: 800, rating: 'good', limitedBy: null, measuredAt: Date.now() });
    const res = await postJson(server, '/api/visits', {
      consultation: link,
      answers: { name, phone: PHONE, birthDate: person.birthdate },
      deviceCheck: { browser: 'Chrome 131 on Linux', camera: true, microphone: true, networkCheckId: checkId },
    });
    expect(res.status, await res.clone().text()).to.equal(201);
    const visit = (await res.json()) as VisitResponse;

    // BankID at the broker, with the national id.
    const jar = new CookieJar();
    const started = await postJson(server, '/api/bankid/visitor/start', { returnTo: consultationPagePath(link) }, { authorization: `Bearer ${visit.visitorToken}` });
    expect(started.status).to.equal(200);
    jar.store(server.url, started);
    const back = await passBroker(jar, ((await started.json()) as BankIdStarted).authorizationUrl, person);
    const callback = await jar.get(back);
    expect(callback.headers.get('location')).to.match(/#bankid=done$/);

    // The card, authorized; then into the line.
    const { body: auth } = await startPayment(server, visit.visitorToken);
    expect((await confirmAsBrowser(stripe, auth, TEST_CARDS.visa)).body.status).to.equal('requires_capture');
    const socket = await visitorSocket(server, visit.visitorToken);
    const entered = await ask(socket, 'visit:enter', {});
    expect(entered.ok && entered.visit.state, JSON.stringify(entered)).to.equal('waiting');

    // A sealed message from the visitor's browser to the professional's.
    const pair = await generateKeyPair();
    expect((await ask(socket, 'messages:key', { publicKey: toBase64Url(pair.publicKey) })).ok).to.equal(true);
    const blob = await sealMessage(pair, toBase64Url(pair.publicKey), visit.visitorId, 'visitor', 'visitor', 'Jeg er her nå');
    expect((await ask(socket, 'messages:send', { copies: [{ to: 'visitor', blob }] })).ok).to.equal(true);

    // The call, with technical data; the professional ends it (the card is charged).
    const admitted = await ask(proSocket, 'queue:admit', { visitorId: visit.visitorId });
    if (!admitted.ok) throw new Error(JSON.stringify(admitted));
    const caps = await deviceRtpCapabilities(server);
    expect((await ask(socket, 'call:join', { callId: admitted.callId, rtpCapabilities: caps, publicKey: testPublicKey })).ok).to.equal(true);
    expect((await ask(proSocket, 'call:join', { callId: admitted.callId, rtpCapabilities: caps, publicKey: testPublicKey })).ok).to.equal(true);
    expect((await ask(socket, 'call:quality', { callId: admitted.callId, rating: 'fair', lossPercent: 3, rttMs: 120 })).ok).to.equal(true);
    expect((await ask(proSocket, 'call:hang-up', { callId: admitted.callId })).ok).to.equal(true);
    const intentId = intentIdOf(auth.clientSecret);
    await eventually(() => stripe.intents.get(intentId)?.status === 'succeeded', { what: 'the payment captured after the call' });
    expect(stripe.intents.get(intentId)?.status, 'charged after the call').to.equal('succeeded');
    socket.disconnect();
    proSocket.disconnect();
    // The EHR heard it all (so there are delivery logs, sealed, to be kept 30 days at most).
    await receiver.waitFor((r) => r.some((x) => x.event.type === 'payment.captured' && (x.event.data as { visitorId?: string }).visitorId === visit.visitorId), 'payment.captured');
    expect(receiver.received.filter((x) => x.event.consultationId === consultation.id).map((x) => x.event.externalReference)).to.include(reference);
    // Both e-mails went: the invitation, and the receipt for the payment.
    const mailsTo = () => smtp.received.filter((m) => JSON.stringify(m.to).includes(address)).map((m) => m.subject);
    await eventually(() => mailsTo().length >= 2, { what: 'the invitation and the receipt sent' });
    expect(mailsTo(), 'invitation and receipt').to.have.length(2);
    return {
      visitorId: visit.visitorId,
      callId: admitted.callId,
      intentId,
      consultationId: consultation.id,
      invitationSid,
      emailId,
      traces: [visit.visitorId, name, PHONE, PHONE.replace(/\s/g, ''), person.socialno, person.name, reference, link, address],
    };
  }

  /** What webhooks keep: the organization's deliveries, and anything at all in the outbox and the retry set. */
  async function webhookResidue() {
    const redis = server.redis.client;
    return {
      deliveries: await redis.zrange(keys.webhookDeliveries(org.org.id), '0', '-1'),
      outbox: await redis.xlen(keys.webhookOutbox()),
      retries: await redis.zcard(keys.webhookRetries()),
    };
  }

  /** What e-mail keeps about a consultation: its e-mails (sent-message records, the sealed addresses) and their indexes. */
  async function emailResidue(consultationId: string, emailId: string) {
    const redis = server.redis.client;
    return {
      ofConsultation: await server.services.email.deliveriesOf(org.org.id, consultationId),
      record: await redis.exists(keys.email(org.org.id, emailId)),
      inIndex: await redis.zscore(keys.emails(org.org.id), emailId),
    };
  }

  /** Every key, every member of every collection, as one text: what the server keeps, anywhere. */
  async function everythingKept() {
    const dump = await dumpRedis(server.redis.client);
    const outside = (pattern: RegExp) => JSON.stringify([...dump].filter(([key]) => !pattern.test(key)));
    const only = (pattern: RegExp) => JSON.stringify([...dump].filter(([key]) => pattern.test(key)));
    return { all: JSON.stringify([...dump]), outsideAudit: outside(/:audit(-|$)/), audit: only(/:audit(-|$)/), bookkeeping: only(/:transactions?(:|$)/) };
  }

  it('once the retention period has passed, nothing about the visitor is left', async () => {
    const visitor = await visitorWithEverything('Ingrid Residuum');
    const during = await everythingKept();
    expect(during.outsideAudit, 'the visitor is there while the data is kept').to.include(visitor.visitorId);

    await letRedisTimePass(server.redis.client, RETENTION_SECONDS * 1000 + 500);
    const report = await server.purge.runIfLocked(Date.now() + RETENTION_SECONDS * 1000 + 500);
    expect(report).to.not.equal(null);

    const after = await everythingKept();
    for (const trace of visitor.traces) expect(after.outsideAudit, `no trace of ${trace}`).not.to.include(trace);
    // Twilio's copy of the invitation SMS (the number, the link) is deleted there.
    expect(twilio.deleted).to.include(visitor.invitationSid);
    // The consultation, its reference index, the delivery logs and the outbox: gone too.
    expect(after.outsideAudit, 'the consultation').not.to.include(visitor.consultationId);
    expect(await webhookResidue(), 'webhook deliveries and outbox').to.deep.equal({ deliveries: [], outbox: 0, retries: 0 });
    // The e-mails (their addresses, what became of them): gone, and no e-mail record of the organization left.
    expect(await emailResidue(visitor.consultationId, visitor.emailId)).to.deep.equal({ ofConsultation: [], record: 0, inIndex: null });
    expect(after.all, 'no e-mail record at all').not.to.match(/\}:(email|emails|consultation-emails|email-dedupe):?/);
    // What may stay: the payment's bookkeeping record, with no one in it...
    expect(after.bookkeeping).to.include(visitor.intentId);
    for (const trace of visitor.traces) expect(after.bookkeeping).not.to.include(trace);
    // ...and audit entries that name the visitor by id only.
    expect(after.audit).to.include(visitor.visitorId);
    for (const trace of visitor.traces.slice(1)) expect(after.audit).not.to.include(trace);
  });

  /** Someone a professional invited by SMS and e-mail from the dashboard, who never opened the link; once both went. */
  async function invitedWhoNeverCame(phone: string, address: string) {
    const pro = await memberApi(server, org.org.id, org.professional.id);
    const res = await pro.call('POST', '/api/consultations', { roomId: org.room.id, phone, email: address, language: 'sv' });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    const created = res.body as ConsultationCreated;
    expect(created.invitation.sms).to.equal('sent');
    await eventually(() => smtp.received.some((m) => JSON.stringify(m.to).includes(address)), { what: 'the invitation e-mail sent' });
    expect(smtp.received.some((m) => JSON.stringify(m.to).includes(address)), 'the e-mail went').to.equal(true);
    const inviteeIds = [
      server.services.consultations.inviteeId(org.org.id, { kind: 'phone', value: phone }),
      server.services.consultations.inviteeId(org.org.id, { kind: 'email', value: address }),
    ];
    const secret = created.visitorLink.split('#')[1]!;
    return { created, inviteeIds, traces: [phone, phone.replace(/\s/g, ''), phone.replace(/\s/g, '').slice(3), address, secret, ...inviteeIds] };
  }

  it('someone invited by SMS and e-mail who never came: nothing left once retention has passed', async () => {
    const invited = await invitedWhoNeverCame('+46 70 111 22 33', `vera.${Math.random().toString(36).slice(2, 8)}@example.se`);
    expect((await everythingKept()).outsideAudit, 'kept while the consultation is').to.include(invited.inviteeIds[0]);
    await letRedisTimePass(server.redis.client, RETENTION_SECONDS * 1000 + 500);
    expect(await server.purge.runIfLocked(Date.now() + RETENTION_SECONDS * 1000 + 500)).to.not.equal(null);
    const after = await everythingKept();
    for (const trace of invited.traces) expect(after.all, `no trace of ${trace}`).not.to.include(trace);
    expect(after.outsideAudit, 'the consultation').not.to.include(invited.created.consultationId);
    expect(twilio.deleted, 'Twilio’s copy of the invitation').to.include(`SM${String(twilio.sent.findIndex((m) => m.to === '+46701112233') + 1).padStart(32, '0')}`);
  });

  it('someone invited by SMS and e-mail who never came, erased: the same nothing at once (but the audit log’s opaque ids)', async () => {
    await server.services.organizations.setRetention(org.org.id, { days: 30 });
    try {
      const invited = await invitedWhoNeverCame('+45 20 11 22 33', `mads.${Math.random().toString(36).slice(2, 8)}@example.dk`);
      const admin = await adminOf(server, org.org.id);
      const erased = await fetch(`${server.url}/api/admin/invitees/${invited.inviteeIds[1]}`, { method: 'DELETE', headers: { origin: server.origin, ...admin.headers } });
      expect(erased.status).to.equal(204);
      const after = await everythingKept();
      for (const trace of invited.traces) expect(after.outsideAudit, `no trace of ${trace}`).not.to.include(trace);
      expect(await server.services.email.deliveriesOf(org.org.id, invited.created.consultationId)).to.deep.equal([]);
      const sid = `SM${String(twilio.sent.findIndex((m) => m.to === '+4520112233') + 1).padStart(32, '0')}`;
      expect(twilio.deleted, 'Twilio’s copy of the invitation').to.include(sid);
    } finally {
      await server.services.organizations.setRetention(org.org.id, { seconds: RETENTION_SECONDS });
    }
  });

  it('an erasure leaves the same nothing, at once', async () => {
    await server.services.organizations.setRetention(org.org.id, { days: 30 });
    try {
      const visitor = await visitorWithEverything('Oddvar Slettmeg');
      const admin = await adminOf(server, org.org.id);
      const erased = await fetch(`${server.url}/api/admin/visitors/${visitor.visitorId}`, { method: 'DELETE', headers: { origin: server.origin, ...admin.headers } });
      expect(erased.status).to.equal(204);
      const after = await everythingKept();
      for (const trace of visitor.traces) expect(after.outsideAudit, `no trace of ${trace}`).not.to.include(trace);
      // The deliveries about them (sealed, naming them) went; their invitation SMS is deleted at Twilio.
      const left = await webhookResidue();
      for (const id of left.deliveries) expect(await server.redis.client.hget(keys.webhookDelivery(org.org.id, id), 'visitorId')).not.to.equal(visitor.visitorId);
      expect(twilio.deleted).to.include(visitor.invitationSid);
      // The e-mails to them (the invitation, the receipt) and their records: gone at once.
      expect(await server.services.email.deliveriesOf(org.org.id, visitor.consultationId)).to.have.length(0);
      expect(await emailResidue(visitor.consultationId, visitor.emailId)).to.deep.equal({ ofConsultation: [], record: 0, inIndex: null });
      // The consultation stays for its EHR (what became of it), without anyone's name, phone or id in it.
      const record = await server.redis.client.hgetall(keys.consultation(org.org.id, visitor.consultationId));
      expect(record.state).to.equal('ended');
      expect(record).not.to.have.any.keys('visitorId', 'prefillName', 'prefillPhone', 'smsIds');
      expect(await server.redis.client.zrange(keys.consultationVisitors(org.org.id, visitor.consultationId), '0', '-1')).not.to.include(visitor.visitorId);
      expect(await server.redis.client.exists(keys.consultationSms(org.org.id, visitor.consultationId))).to.equal(0);
      expect(after.bookkeeping).to.include(visitor.intentId);
      for (const trace of visitor.traces.slice(1)) expect(after.audit).not.to.include(trace);
    } finally {
      await server.services.organizations.setRetention(org.org.id, { seconds: RETENTION_SECONDS });
    }
  });
});
