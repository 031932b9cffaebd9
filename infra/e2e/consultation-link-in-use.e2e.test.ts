import { expect } from 'chai';
import { ask, professionalSocket, sessionCookieFor } from '../../signaling/src/test-support/test-server.ts';
import { sessionCookieName } from '../../signaling/src/http/request-guards.ts';
import { cancelConsultation, scheduleConsultation } from '../../signaling/src/consultations/schedule.ts';
import { consultationSuite, passDeviceCheck } from './consultation.ts';

/*
 * A consultation's private link in real Chromium: the first visitor who checks in with it holds it; a
 * second person with the same link is told it is in use (on opening it, and when their form was already
 * open); once the call is over, or the consultation was cancelled, the link says so.
 */
describe('a consultation link, one visitor at a time (real Chromium, Redis, mediasoup)', function () {
  this.timeout(120_000);

  const suite = consultationSuite('Link Clinic');

  async function newLink(): Promise<{ id: string; url: string }> {
    const { server, org } = suite;
    const { consultation, visitorLink } = await scheduleConsultation(server.services, { orgId: org.org.id, roomId: org.room.id, professionalId: org.professional.id, scheduledAt: null });
    return { id: consultation.id, url: `${server.url}/c/${visitorLink.split('/c/')[1]}` };
  }

  it('the second visitor is told the link is in use; after the call the link says the consultation ended', async () => {
    const { server, org, scene } = suite;
    const link = await newLink();

    // Someone else opened the link first and is at the form when the right visitor checks in.
    const early = await scene.page();
    await early.goto(link.url);
    await passDeviceCheck(early);
    await early.getByLabel('Your name').fill('Someone Else');
    // The form asks only for a name: "Remember me" promises to keep only that.
    await early.getByText('Keeps your name in this browser only, to fill in the form next time.').waitFor();

    const visitor = await scene.page();
    await visitor.goto(link.url);
    await scene.checksIn(visitor, 'Kari Nordmann');

    // The form gives way to what the link's page says when opened in use: why, and what to do; nothing to try again.
    await early.getByRole('button', { name: 'Go to the waiting room' }).click();
    await early.getByRole('heading', { name: 'Someone is already checked in with this link' }).waitFor();
    await early.getByText('This link is for one person at a time.').waitFor();
    expect(await early.getByRole('button', { name: 'Go to the waiting room' }).count(), 'no button inviting another try').to.equal(0);
    expect(await early.getByLabel('Your name').count(), 'no form left').to.equal(0);

    // Opening the link now says so at once, with no form and no camera.
    const second = await scene.page();
    await second.goto(link.url);
    await second.getByRole('heading', { name: 'Someone is already checked in with this link' }).waitFor();
    await second.getByText('This link is for one person at a time.').waitFor();
    if (await second.getByLabel('Your name').count()) throw new Error('the check-in form was offered');

    // The professional admits the visitor and ends the call.
    const pro = await professionalSocket(server, `${sessionCookieName(false)}=${await sessionCookieFor(server, org.org.id, org.professional.id)}`);
    try {
      const [visitorId] = await server.redis.client.zrange(`{org:${org.org.id}}:consultation-visitors:${link.id}`, '0', '0');
      if (!visitorId) throw new Error('no visitor came with the link');
      const admitted = await ask(pro, 'queue:admit', { visitorId });
      if (!admitted.ok) throw new Error(JSON.stringify(admitted));
      await visitor.getByRole('button', { name: 'Hang up' }).waitFor();
      const hungUp = await ask(pro, 'call:hang-up', { callId: admitted.callId });
      if (!hungUp.ok) throw new Error(JSON.stringify(hungUp));
    } finally {
      pro.disconnect();
    }
    await visitor.getByRole('heading', { name: 'The consultation has ended' }).waitFor();
    expect(await visitor.getByRole('button', { name: 'Check in again' }).count(), 'no check-in again with a link that is over').to.equal(0);

    // Whoever opens the link afterwards (the visitor again included) is told the consultation ended.
    const later = await scene.page();
    await later.goto(link.url);
    await later.getByRole('heading', { name: 'This consultation has ended' }).waitFor();
    await later.getByText('The link no longer works.').waitFor();
    await visitor.reload();
    await visitor.getByRole('heading', { name: 'This consultation has ended' }).waitFor();
  });

  it('a cancelled consultation’s link says it was cancelled', async () => {
    const link = await newLink();
    await cancelConsultation(suite.server.services, suite.org.org.id, link.id, { memberId: suite.org.professional.id });
    const page = await suite.scene.page();
    await page.goto(link.url);
    await page.getByRole('heading', { name: 'This consultation was cancelled' }).waitFor();
  });
});
