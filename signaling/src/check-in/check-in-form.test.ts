import { expect } from 'chai';
import type { CheckInConfig, ErrorBody } from '../../protocol/index.ts';
import {
  addMember,
  ask,
  createOrganization,
  login,
  postJson,
  professionalSocket,
  startTestServer,
  type TestOrganization,
  type TestServer,
} from '../test-support/test-server.ts';
import { scanKeys } from '../test-support/redis-keys.ts';

const FORM: CheckInConfig = {
  name: { enabled: true, required: true },
  phone: { enabled: true, required: true },
  birthDate: { enabled: true, required: false },
  reason: { enabled: true, required: false },
  custom: [
    { id: 'insurer1', label: 'Insurance company', kind: 'text', required: false },
    { id: 'weightkg', label: 'Weight (kg)', kind: 'number', required: false },
    { id: 'language', label: 'Language of the call', kind: 'choice', required: true, options: ['Norsk', 'English'] },
    { id: 'firstvis', label: 'First visit', kind: 'checkbox', required: false },
  ],
  consent: { text: 'We keep what you write here for 90 days.', privacyUrl: 'https://clinic.example/privacy' },
  pseudonymous: false,
  bankId: false,
};

const GOOD = {
  name: 'Ola Nordmann',
  phone: '+47 912 34 567',
  birthDate: '1980-02-29',
  reason: 'Kontroll etter behandling',
  custom: { insurer1: 'Fjord Forsikring', weightkg: 81.5, language: 'Norsk', firstvis: true },
  consent: true,
};

/*
 * A room's check-in form as its admin sets it, and a visitor's answers checked against the schema built
 * from it (the same one the browser uses): each bad answer is refused with its field and reason, and
 * creates nothing; good answers reach the professional's queue card.
 */
describe('check-in form per room (real server, Redis)', function () {
  let server: TestServer;
  let org: TestOrganization;
  const visitors = () => scanKeys(server.redis.client, '{org:*}:visitor:*');

  before(async () => {
    server = await startTestServer();
    org = await createOrganization(server.services);
  });
  after(async () => {
    await server?.close();
  });

  it('an admin sets the form; a bad form is refused and changes nothing; to anyone else the route does not exist', async () => {
    const admin = await addMember(server.services, org.org.id, { name: 'Anne Admin', role: 'admin' });
    const adminAuth = await login(server, admin.email, admin.password);
    const proAuth = await login(server, org.professional.email, org.professional.password);
    const put = (auth: { cookie: string; csrfToken: string }, body: unknown) =>
      fetch(`${server.url}/api/admin/rooms/${org.room.id}/check-in`, {
        method: 'PUT',
        headers: { origin: server.origin, 'content-type': 'application/json', cookie: auth.cookie, 'x-csrf-token': auth.csrfToken },
        body: JSON.stringify(body),
      });
    const bad: [string, unknown][] = [
      ['a choice without options', { ...FORM, custom: [{ id: 'language', label: 'Language', kind: 'choice', required: true }] }],
      ['options on a text field', { ...FORM, custom: [{ id: 'insurer1', label: 'Insurer', kind: 'text', required: false, options: ['a', 'b'] }] }],
      ['eleven custom fields', { ...FORM, custom: Array.from({ length: 11 }, (_, i) => ({ id: `field${String(i).padStart(3, '0')}`, label: `F${i}`, kind: 'text', required: false })) }],
      ['one id twice', { ...FORM, custom: [FORM.custom[0], FORM.custom[0]] }],
      ['a label with a control character', { ...FORM, custom: [{ ...FORM.custom[0], label: 'Insurer\u0007' }] }],
      ['a privacy page over http', { ...FORM, consent: { text: 'x', privacyUrl: 'http://clinic.example/privacy' } }],
      ['an unknown field kind', { ...FORM, custom: [{ id: 'filefile', label: 'Upload', kind: 'file', required: false }] }],
      ['a field the form does not have', { ...FORM, nationalId: { enabled: true, required: true } }],
    ];
    for (const [what, body] of bad) {
      const res = await put(adminAuth, body);
      expect(res.status, what).to.equal(400);
    }
    expect((await server.services.organizations.getRoom(org.org.id, org.room.id))?.checkIn.custom, 'unchanged').to.deep.equal([]);
    expect((await put(proAuth, FORM)).status, 'not an admin').to.equal(403);
    expect((await put(adminAuth, FORM)).status).to.equal(200);
    // The visitor's page gets the form with the room.
    const info = (await (await fetch(`${server.url}/api/rooms/${org.room.slug}`)).json()) as { checkIn: CheckInConfig };
    expect(info.checkIn).to.deep.equal(FORM);
  });

  it('refuses each bad answer with its field and reason, and creates no visitor', async () => {
    await server.services.organizations.setCheckIn(org.org.id, org.room.id, FORM);
    const before = (await visitors()).length;
    const without = (key: keyof typeof GOOD) => Object.fromEntries(Object.entries(GOOD).filter(([k]) => k !== key));
    const cases: [string, unknown, string][] = [
      ['missing required phone', without('phone'), 'answers.phone: required'],
      ['missing consent', without('consent'), 'answers.consent: consent_required'],
      ['consent as a string', { ...GOOD, consent: 'yes' }, 'answers.consent: consent_required'],
      ['missing required choice', { ...GOOD, custom: { ...GOOD.custom, language: undefined } }, 'answers.custom.language: required'],
      ['missing name', without('name'), 'answers.name: name_required'],
      ['a choice not offered', { ...GOOD, custom: { ...GOOD.custom, language: 'Deutsch' } }, 'answers.custom.language: not_a_choice'],
      ['a number as a string', { ...GOOD, custom: { ...GOOD.custom, weightkg: '81' } }, 'answers.custom.weightkg: number_invalid'],
      ['an over-long text', { ...GOOD, custom: { ...GOOD.custom, insurer1: 'x'.repeat(201) } }, 'answers.custom.insurer1: too_long'],
      ['a control character', { ...GOOD, reason: 'vondt \u0007' }, 'answers.reason: invalid_characters'],
      ['an over-long reason', { ...GOOD, reason: 'x'.repeat(1001) }, 'answers.reason: too_long'],
      ['not a phone number', { ...GOOD, phone: 'call me' }, 'answers.phone: phone_invalid'],
      ['a date that does not exist', { ...GOOD, birthDate: '1981-02-29' }, 'answers.birthDate: date_invalid'],
      ['a birth date in the future', { ...GOOD, birthDate: '2999-01-01' }, 'answers.birthDate: date_invalid'],
      ['a forged field', { ...GOOD, nationalId: '01018012345' }, 'answers: '],
      ['a forged custom field', { ...GOOD, custom: { ...GOOD.custom, diagnosis: 'x' } }, 'answers.custom: '],
      ['a name with a control character', { ...GOOD, name: 'Ola\u0000' }, 'answers.name: name_invalid_characters'],
    ];
    for (const [what, answers, message] of cases) {
      const res = await postJson(server, '/api/visits', { roomSlug: org.room.slug, answers });
      const body = (await res.json()) as { error: ErrorBody };
      expect([res.status, body.error.code], what).to.deep.equal([400, 'bad_request']);
      expect(body.error.message, what).to.include(message.replace(/^answers\.?/, '').replace(/^: /, ''));
      // The form reads the field and its code apart, never out of the message.
      const [field = '', code = ''] = message.replace(/^answers\.?/, '').split(': ');
      const refused = body.error.details?.fields?.[0];
      expect(refused?.field, what).to.equal(field);
      if (code) expect(refused?.code, what).to.equal(code);
    }
    expect((await visitors()).length, 'no visitor made').to.equal(before);
  });

  it('good answers reach the queue card of the room’s professionals, labelled as the form had them', async () => {
    await server.services.organizations.setCheckIn(org.org.id, org.room.id, FORM);
    const pro = await professionalSocket(server, (await login(server, org.professional.email, org.professional.password)).cookie);
    const res = await postJson(server, '/api/visits', { roomSlug: org.room.slug, answers: GOOD });
    expect(res.status).to.equal(201);
    const { visitorId } = (await res.json()) as { visitorId: string };
    // The admin relabels a field afterwards: what was answered keeps the label it was answered under.
    await server.services.organizations.setCheckIn(org.org.id, org.room.id, { ...FORM, custom: FORM.custom.map((f) => ({ ...f, label: `${f.label} (new)` })) });
    const list = await ask(pro, 'queue:list', {});
    const card = list.ok && list.visitors.find((v) => v.visitorId === visitorId);
    expect(card && card.name).to.equal('Ola Nordmann');
    expect(card && card.checkIn).to.deep.equal({
      phone: '+47 912 34 567',
      birthDate: '1980-02-29',
      reason: 'Kontroll etter behandling',
      custom: [
        { label: 'Insurance company', value: 'Fjord Forsikring' },
        { label: 'Weight (kg)', value: 81.5 },
        { label: 'Language of the call', value: 'Norsk' },
        { label: 'First visit', value: true },
      ],
    });
    // Optional fields may be left out; a room without the form's fields takes just a name.
    await server.services.organizations.setCheckIn(org.org.id, org.room.id, FORM);
    const minimal = await postJson(server, '/api/visits', { roomSlug: org.room.slug, answers: { name: 'Kari', phone: '91234567', custom: { language: 'English' }, consent: true } });
    expect(minimal.status).to.equal(201);
    pro.disconnect();
  });
});
