import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { videoStreamsDecoding } from './browser.ts';
import { consultationSuite } from './consultation.ts';
import { addMember } from '../../signaling/src/test-support/test-server.ts';
import { eventually } from '../../signaling/src/test-support/eventually.ts';

/** Waits until the page decodes video from `n` others (E2EE: only with everyone's keys). */
async function decodesFrom(page: Page, n: number, who: string): Promise<void> {
  await eventually(async () => expect(await videoStreamsDecoding(page), `${who}: video streams decoding`).to.be.at.least(n), { what: `${who} decodes video from ${n}`, timeoutMs: 30_000, intervalMs: 300 });
}

const roster = (page: Page) => page.getByRole('list', { name: 'In this call' });

/*
 * Three people in one call, in real Chromium (three browsers at most on these two cores): a colleague
 * asked in from the call, or a second visitor admitted into it. Everyone sees everyone, by name and role.
 */
describe('group calls end to end (real Chromium, Redis, mediasoup)', function () {
  this.timeout(150_000);

  const suite = consultationSuite('Group Clinic');

  it('a professional asks a colleague in: the visitor sees who joined, all three see and hear each other; the colleague leaves, the call goes on', async () => {
    const colleague = await addMember(suite.server.services, suite.org.org.id, { name: 'Dr Berg' });
    const pro = await suite.scene.professionalLogsIn();
    const visitor = await suite.scene.visitorChecksIn('Ola Nordmann');
    await pro.getByRole('button', { name: 'Admit Ola Nordmann' }).click();
    await decodesFrom(visitor, 1, 'visitor');
    await decodesFrom(pro, 1, 'professional');

    // Asked before their dashboard is open: it offers the call once they open it, on each of their
    // screens, and joining on one takes the offer off the other.
    await pro.getByLabel('Ask a colleague to join').selectOption({ label: 'Dr Berg' });
    await pro.getByRole('button', { name: 'Ask to join' }).click();
    await pro.getByText('Dr Berg has been asked to join.').waitFor();
    const berg = await suite.scene.professionalLogsIn(undefined, colleague);
    const bergElsewhere = await suite.scene.professionalLogsIn(undefined, colleague);
    const asked = `${suite.org.professional.name} asks you to join a call.`;
    await berg.getByText(asked).waitFor();
    await bergElsewhere.getByText(asked).waitFor();
    await berg.getByRole('button', { name: 'Join the call' }).click();
    await bergElsewhere.getByText(asked).waitFor({ state: 'detached' });

    // Named, with their role, in everyone's list of who is in the call.
    await roster(visitor).getByText('Dr Berg (professional)').waitFor();
    await roster(pro).getByText('Dr Berg (professional)').waitFor();
    await roster(berg).getByText('Ola Nordmann (guest)').waitFor();
    await roster(berg).getByText(`${suite.org.professional.name} (professional)`).waitFor();
    for (const [page, who] of [[visitor, 'visitor'], [pro, 'professional'], [berg, 'colleague']] as const) await decodesFrom(page, 2, who);
    // The colleague cannot end the call for everyone, only leave it.
    await berg.getByRole('button', { name: 'Leave the call' }).click();
    await berg.getByRole('heading', { name: 'The call has ended.' }).waitFor();
    await roster(visitor).getByText('Dr Berg (professional)').waitFor({ state: 'detached' });
    expect(await roster(visitor).getByText(`${suite.org.professional.name} (professional)`).isVisible()).to.equal(true);

    // Asked again, then the host takes the ask back before it is answered: the colleague's offer goes.
    await pro.getByLabel('Ask a colleague to join').selectOption({ label: 'Dr Berg' });
    await pro.getByRole('button', { name: 'Ask to join' }).click();
    await bergElsewhere.getByText(asked).waitFor();
    await pro.getByRole('button', { name: 'Take back the ask to Dr Berg' }).click();
    await pro.getByText('The ask to Dr Berg has been taken back.').waitFor();
    await bergElsewhere.getByText(asked).waitFor({ state: 'detached' });

    await pro.getByRole('button', { name: 'End the call' }).click();
    await visitor.getByRole('heading', { name: 'The consultation has ended' }).waitFor();
  });

  it('a second visitor (an interpreter) admitted into the call: three see each other; sending one back leaves the other two talking', async () => {
    const pro = await suite.scene.professionalLogsIn();
    const ola = await suite.scene.visitorChecksIn('Ola Nordmann');
    await pro.getByRole('button', { name: 'Admit Ola Nordmann' }).click();
    await decodesFrom(ola, 1, 'Ola');
    const tolk = await suite.scene.visitorChecksIn('Tolk Tolkesen');
    await pro.getByRole('button', { name: 'Add Tolk Tolkesen to the call' }).click();
    await roster(ola).getByText('Tolk Tolkesen (guest)').waitFor();
    await roster(tolk).getByText('Ola Nordmann (guest)').waitFor();
    for (const [page, who] of [[ola, 'Ola'], [pro, 'professional'], [tolk, 'interpreter']] as const) await decodesFrom(page, 2, who);

    await pro.getByRole('button', { name: 'Send Tolk Tolkesen back to the waiting room' }).click();
    await tolk.getByRole('heading', { name: 'You are in the waiting room' }).waitFor();
    await roster(ola).getByText('Tolk Tolkesen (guest)').waitFor({ state: 'detached' });
    await pro.getByRole('button', { name: 'End the call' }).click();
    await ola.getByRole('heading', { name: 'The consultation has ended' }).waitFor();
  });

  it('the professional shares their screen: the visitor sees it beside the camera, decrypted, until it stops; a visitor may not unless the organization allows it', async () => {
    const pro = await suite.scene.professionalLogsIn();
    const visitor = await suite.scene.visitorChecksIn('Siri Lund');
    await pro.getByRole('button', { name: 'Admit Siri Lund' }).click();
    await decodesFrom(visitor, 1, 'visitor');
    await visitor.getByRole('button', { name: 'Mute microphone' }).waitFor();
    expect(await visitor.getByRole('button', { name: 'Share screen' }).count(), 'no share button for visitors here').to.equal(0);

    await pro.getByRole('button', { name: 'Share screen' }).click();
    await pro.getByText('You are sharing your screen.').waitFor();
    const screen = visitor.getByRole('figure').filter({ hasText: `${suite.org.professional.name}’s screen` });
    await screen.waitFor();
    await decodesFrom(visitor, 2, 'visitor (camera and screen)');
    await pro.getByRole('button', { name: 'Stop sharing' }).click();
    await screen.waitFor({ state: 'detached' });
    await pro.getByRole('button', { name: 'End the call' }).click();
    await visitor.getByRole('heading', { name: 'The consultation has ended' }).waitFor();
  });
});
