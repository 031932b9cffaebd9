import { expect } from 'chai';
import fs from 'node:fs';
import { addMember } from '../../signaling/src/test-support/test-server.ts';
import { newId } from '../../signaling/src/ids.ts';
import { consultationSuite } from './consultation.ts';

/*
 * The audit log page in real Chromium: an admin filters the log by who acted, sees the members' names
 * (the log itself holds ids), and downloads the filtered export, which the log then records.
 */
describe('the audit log page (real Chromium, Redis)', function () {
  this.timeout(90_000);
  const suite = consultationSuite('Audit Clinic');

  it('an admin filters by member and downloads the filtered CSV; the export is audited', async () => {
    const { server, org, scene } = suite;
    const visitorId = newId();
    await server.services.audit.record({ orgId: org.org.id, actor: org.professional.id, action: 'admit', targetId: visitorId, detail: { callId: newId() } });
    await server.services.audit.record({ orgId: org.org.id, actor: 'system', action: 'call_end', targetId: newId(), detail: { by: 'visitor', seconds: 300 } });
    const admin = await addMember(server.services, org.org.id, { name: 'Anne Admin', role: 'admin' });

    const page = await scene.professionalLogsIn(undefined, admin);
    await page.getByRole('button', { name: 'Audit log' }).click();
    const rows = page.locator('table.audit-log tbody tr');
    await rows.filter({ hasText: 'Call ended' }).waitFor();
    expect(await rows.filter({ hasText: 'Admitted a visitor' }).textContent()).to.contain(org.professional.name).and.contain(visitorId.slice(0, 12));

    await page.getByLabel('Who').selectOption({ label: org.professional.name });
    await page.getByRole('button', { name: 'Show' }).click();
    await rows.filter({ hasText: 'Call ended' }).waitFor({ state: 'detached' });
    expect(await rows.count()).to.equal(1);

    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Export as CSV' }).click();
    const file = await (await download).path();
    const csv = fs.readFileSync(file, 'utf8').trim().split('\r\n');
    expect(csv[0]).to.equal('id,time,actor,action,target,session,detail');
    expect(csv.slice(1).map((r) => r.split(',').slice(2, 5))).to.deep.equal([[org.professional.id, 'admit', visitorId]]);

    const exports = (await server.services.audit.list(org.org.id, { action: 'export' })).entries;
    expect(exports.map((e) => [e.actor, e.detail.format, e.detail.actor])).to.deep.equal([[admin.id, 'csv', org.professional.id]]);
  });
});
