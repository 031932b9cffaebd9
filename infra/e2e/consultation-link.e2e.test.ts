import { expect } from 'chai';
import { visitorLinkOf } from '../../signaling/protocol/index.ts';
import { consultationSuite } from './consultation.ts';

/*
 * A scheduled consultation's private link keeps its secret in the fragment, in real Chromium: no request
 * the visitor's page makes carries it in an address, the address bar loses it at once, a reload still
 * finds the visit, and a link of the old form (the secret in the path) still opens and is rewritten.
 */
describe('a consultation’s private link: the secret never in an address (real Chromium, Redis)', function () {
  this.timeout(120_000);

  const suite = consultationSuite('Link Clinic');

  const schedule = () =>
    suite.server.services.consultations.create({ orgId: suite.org.org.id, roomId: suite.org.room.id, professionalId: suite.org.professional.id, scheduledAt: null }, 86_400_000);

  it('the visitor opens the link, checks in and reloads; the secret is in no request address, no log, and leaves the address bar', async () => {
    const { consultation, token } = await schedule();
    const secret = token.split('.').at(-1)!;
    const link = visitorLinkOf(suite.server.url, token);
    expect(link).to.equal(`${suite.server.url}/c/${suite.org.org.id}.${consultation.id}#${secret}`);

    const visitor = await suite.scene.page();
    const addresses: string[] = [];
    visitor.on('request', (r) => addresses.push(r.url()));
    await visitor.goto(link);
    await suite.scene.checksIn(visitor, 'Ola Nordmann');
    expect(new URL(visitor.url()).pathname).to.equal(`/c/${suite.org.org.id}.${consultation.id}`);
    expect(visitor.url(), 'the address bar').to.not.include(secret);

    await visitor.reload();
    await visitor.getByText(`${suite.org.professional.name} has been told you are here.`).waitFor();
    expect(addresses.filter((a) => a.includes(secret)), 'requests with the secret in their address').to.deep.equal([]);
    expect(suite.server.logs().join('\n')).to.not.include(secret);
  });

  it('a link of the old form, secret in the path, still opens, and the address is rewritten to the new form', async () => {
    const { consultation, token } = await schedule();
    const visitor = await suite.scene.page();
    await visitor.goto(`${suite.server.url}/c/${token}`);
    await visitor.getByRole('heading', { name: `Video consultation with ${suite.org.professional.name}` }).waitFor();
    expect(visitor.url()).to.equal(`${suite.server.url}/c/${suite.org.org.id}.${consultation.id}`);
  });
});
