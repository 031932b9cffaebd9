import { expect } from 'chai';
import type { Me } from '../../protocol/index.ts';
import { addMember, createOrganization, disconnected, login, postJson, professionalSocket, recordEvents, startTestServer, type TestServer } from '../test-support/test-server.ts';

/*
 * A member who changes their own password does it because the old one may be known to someone else: every
 * other session of theirs (another browser, a stolen cookie) ends at once, and its open dashboard is told
 * and closed; the session they changed it from goes on.
 */
describe('changing one’s own password ends the member’s other sessions (real server, Redis)', function () {
  this.timeout(30_000);
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.close();
  });

  it('the other sessions are refused and their sockets closed; the current one and other members go on', async () => {
    const org = await createOrganization(server.services);
    const member = await addMember(server.services, org.org.id);
    const here = await login(server, member.email, member.password);
    const elsewhere = await login(server, member.email, member.password);
    const colleague = await login(server, org.professional.email, org.professional.password);
    const elsewhereSocket = await professionalSocket(server, elsewhere.cookie);
    const heardElsewhere = recordEvents(elsewhereSocket);
    const closing = disconnected(elsewhereSocket);

    const res = await postJson(server, '/api/auth/password', { currentPassword: member.password, newPassword: 'a brand new long password' }, { cookie: here.cookie, 'x-csrf-token': here.csrfToken });
    expect(res.status).to.equal(200);
    expect(((await res.json()) as Me).pending).to.equal(null);

    await heardElsewhere.waitFor('session:ended');
    await closing;
    expect((await fetch(`${server.url}/api/auth/me`, { headers: { cookie: elsewhere.cookie } })).status, 'the other session').to.equal(401);
    expect((await fetch(`${server.url}/api/auth/me`, { headers: { cookie: here.cookie } })).status, 'the session that changed it').to.equal(200);
    expect((await fetch(`${server.url}/api/auth/me`, { headers: { cookie: colleague.cookie } })).status, 'another member').to.equal(200);
    await professionalSocket(server, here.cookie).then((s) => s.close());
  });
});
