import { consultationSuite, passDeviceCheck } from './consultation.ts';

/*
 * Issue 18, item 4, as the visitor sees it (real Chromium, Redis): a check-in that reaches a server
 * process while it is stopping is told the service is restarting, and goes through by itself once a
 * running process answers.
 */
describe('check-in while the server restarts (real Chromium, Redis)', function () {
  this.timeout(120_000);

  const suite = consultationSuite('Restart Clinic');

  it('the form says the service is restarting, tries again by itself, and the visitor reaches the waiting room', async () => {
    const { lifecycle } = suite.server.services;
    const visitor = await suite.scene.page();
    await visitor.goto(`${suite.server.url}/r/${suite.org.room.slug}`);
    await passDeviceCheck(visitor);
    await visitor.getByLabel('Your name').fill('Ola Nordmann');
    // The process the request reaches is stopping (what SIGTERM sets first).
    lifecycle.shuttingDown = true;
    try {
      await visitor.getByRole('button', { name: 'Go to the waiting room' }).click();
      await visitor.getByRole('status').getByText('The service is restarting. Trying again in a moment…').waitFor();
    } finally {
      // A running process answers the next try.
      lifecycle.shuttingDown = false;
    }
    await visitor.getByRole('heading', { name: 'You are in the waiting room' }).waitFor();
  });
});
