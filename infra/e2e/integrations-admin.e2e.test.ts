import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { addMember } from '../../signaling/src/test-support/test-server.ts';
import { TestReceiver } from '../../signaling/src/webhooks/test-receiver.ts';
import { consultationSuite } from './consultation.ts';

/*
 * An admin connects the clinic's records system on the Organization page, in real Chromium: an API key
 * (shown once, works, then revoked), a webhook endpoint (its secret shown once signs what the EHR gets),
 * and the origins allowed to frame the call (a bad one is refused with the reason).
 */
describe('integrations on the admin’s Organization page (real Chromium, Redis)', function () {
  this.timeout(120_000);
  let receiver: TestReceiver;
  before(async () => {
    receiver = await TestReceiver.start();
  });
  after(async () => {
    await receiver?.close();
  });

  const suite = consultationSuite('Integration Clinic', undefined, { WEBHOOK_ALLOWED_ADDRESS_RANGES: '127.0.0.0/8', WEBHOOK_ALLOW_PLAIN_HTTP: 'true' });

  it('creates an API key that works and stops at once when revoked; adds a webhook whose secret signs; sets the allowed origins', async () => {
    const { server, org } = suite;
    const adminMember = await addMember(server.services, org.org.id, { name: 'Anne Admin', role: 'admin' });
    const admin = await suite.scene.professionalLogsIn(undefined, adminMember);
    await admin.getByRole('button', { name: 'Organization' }).click();

    // The API key, shown once.
    await admin.getByLabel('Name of the new key (which system, which environment)').fill('Journal prod');
    await admin.getByRole('button', { name: 'Create key' }).click();
    const key = await admin.getByRole('textbox', { name: 'Journal prod' }).inputValue();
    expect(key).to.match(/^consult_/);
    const v1 = (k: string) => fetch(`${server.url}/api/v1/consultations`, { headers: { authorization: `Bearer ${k}` } });
    expect((await v1(key)).status).to.equal(200);

    // The webhook endpoint: its secret, shown once, signs what the EHR receives.
    await admin.getByLabel('URL (https)').fill(receiver.url);
    await admin.getByRole('checkbox', { name: 'consultation.created' }).check();
    await admin.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = (await admin.getByLabel('Signing secret').textContent())!.trim();
    await admin.getByRole('button', { name: 'I have copied it' }).click();
    const made = await fetch(`${server.url}/api/v1/consultations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ roomId: org.room.id, externalReference: 'journal-77' }),
    });
    expect(made.status).to.equal(201);
    await receiver.waitFor((r) => r.some((x) => x.event.type === 'consultation.created'), 'consultation.created');
    const delivery = receiver.received.find((x) => x.event.type === 'consultation.created')!;
    const [t, v1sig] = delivery.signature.split(',').map((p) => p.split('=')[1]!);
    expect(v1sig).to.equal(createHmac('sha256', secret).update(`${t}.${delivery.rawBody}`).digest('hex'));
    expect(delivery.event.externalReference).to.equal('journal-77');
    // The admin sees it delivered.
    await admin.reload();
    await admin.getByRole('button', { name: 'Organization' }).click();
    await admin.getByRole('cell', { name: 'Delivered' }).first().waitFor();

    // Revoked: the very next call is refused.
    admin.on('dialog', (dialog) => void dialog.accept());
    await admin.getByRole('button', { name: 'Revoke Journal prod' }).click();
    await admin.getByText('No API keys yet.').waitFor();
    expect((await v1(key)).status).to.equal(401);

    // The origins allowed to frame the call: a path is refused with the reason; exact origins are saved.
    const origins = admin.getByLabel('Allowed origins');
    await origins.fill('https://ehr.example.com/app');
    await admin.getByRole('button', { name: 'Save origins' }).click();
    await admin.getByText(/Not saved: write each origin as https:\/\/host/).waitFor();
    expect(await server.services.embedding.origins.get(org.org.id)).to.deep.equal([]);
    await origins.fill('https://ehr.example.com\nhttps://journal.example.no:8443');
    await admin.getByRole('button', { name: 'Save origins' }).click();
    await admin.getByText('Saved.').waitFor();
    expect(await server.services.embedding.origins.get(org.org.id)).to.deep.equal(['https://ehr.example.com', 'https://journal.example.no:8443']);
    const page = await fetch(`${server.url}/r/${org.room.slug}`);
    expect(page.headers.get('content-security-policy')).to.contain('frame-ancestors https://ehr.example.com https://journal.example.no:8443');
  });

  it('the settings page tells an admin that this server sends no e-mail, and what its operator sets', async () => {
    const adminMember = await addMember(suite.server.services, suite.org.org.id, { name: 'Ada Admin', role: 'admin' });
    const admin = await suite.scene.professionalLogsIn(undefined, adminMember);
    await admin.getByRole('button', { name: 'Settings' }).click();
    await admin.getByRole('heading', { name: 'E-mail' }).waitFor();
    await admin.getByText(/E-mail is off on this server: nothing is sent by e-mail\. To turn it on, the server's operator sets SMTP_URL .* and SMTP_FROM/).waitFor();
    // Not for a professional who is not an admin (the server's setup is the admins' business).
    const pro = await suite.scene.professionalLogsIn();
    await pro.getByRole('button', { name: 'Settings' }).click();
    await pro.getByRole('heading', { name: 'SMS when someone arrives' }).waitFor();
    expect(await pro.getByRole('heading', { name: 'E-mail' }).count()).to.equal(0);
  });
});
