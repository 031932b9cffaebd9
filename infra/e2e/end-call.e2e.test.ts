import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { sessionCookieFor } from '../../signaling/src/test-support/test-server.ts';
import { sessionCookieName } from '../../signaling/src/http/request-guards.ts';
import { consultationSuite, professionalEndsTheCall } from './consultation.ts';

/*
 * The professional ends a call and admits the next visitor, the way bench:admit does it dozens of times
 * a run (real Chromium, Redis, mediasoup). On a loaded machine the ended screen can come up well after
 * the click on "End the call"; until then the call screen's "Send <name> back to the waiting room" is the
 * only button whose name holds "Back to the waiting room". bench:admit once clicked that one, left the
 * dashboard on the ended screen, and waited 30 s for an Admit button that could not show.
 */
describe('the professional ends a call and admits the next visitor (real Chromium, Redis, mediasoup)', function () {
  this.timeout(120_000);

  const suite = consultationSuite('Skagen Clinic');

  /** The dashboard, with every server message held back 1.5 s once the call is hung up: a slow ended screen. */
  async function professionalWithSlowHangUp(): Promise<Page> {
    const pro = await suite.scene.page();
    await pro.routeWebSocket(/\/socket\.io\//, (ws) => {
      const server = ws.connectToServer();
      let hungUp = false;
      ws.onMessage((message) => {
        if (typeof message === 'string' && message.includes('"call:hang-up"')) hungUp = true;
        server.send(message);
      });
      // Same delay for each, so they stay in order.
      server.onMessage((message) => (hungUp ? setTimeout(() => ws.send(message), 1500) : ws.send(message)));
    });
    const value = await sessionCookieFor(suite.server, suite.org.org.id, suite.org.professional.id);
    await pro.context().addCookies([{ name: sessionCookieName(false), value, url: suite.server.url }]);
    await pro.goto(`${suite.server.url}/dashboard/`);
    await pro.getByRole('heading', { name: /Waiting room/ }).waitFor();
    return pro;
  }

  it('lands on the waiting room with the next visitor admittable, even when the call\'s end reaches the dashboard late', async () => {
    const pro = await professionalWithSlowHangUp();
    const first = await suite.scene.visitorChecksIn('Kari First');
    await pro.getByRole('button', { name: 'Admit Kari First' }).click();
    await pro.getByRole('button', { name: 'Send Kari First back to the waiting room' }).waitFor();

    await professionalEndsTheCall(pro);
    // Her consultation ended: she was not sent back to wait.
    await first.getByRole('heading', { name: 'The consultation has ended' }).waitFor();
    expect(await first.getByText('has sent you back to the waiting room').count()).to.equal(0);

    await suite.scene.visitorChecksIn('Ola Next');
    await pro.getByRole('button', { name: 'Admit Ola Next' }).waitFor({ timeout: 15_000 });
  });
});
