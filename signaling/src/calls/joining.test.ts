import { expect } from 'chai';
import { ask, createOrganization, deviceRtpCapabilities, login, professionalSocket, startTestServer, testPublicKey, transportsOnCall, type TestServer } from '../test-support/test-server.ts';

/** DTLS parameters as a browser announces them for a certificate it made (SHA-256, upper-case hex). */
const browserDtls = (byte: string) => ({ role: 'client', fingerprints: [{ algorithm: 'sha-256', value: Array.from({ length: 32 }, () => byte).join(':') }] });

/*
 * A join that carries the browser's DTLS parameters (a certificate made ahead of the call) has both its
 * transports connected in the join itself, so the browser's connect request is not needed; parameters
 * mediasoup cannot use leave the transports for the usual connect, and oversized ones are refused.
 */
describe('joining a call with DTLS parameters known ahead (real server, Redis, mediasoup)', function () {
  this.timeout(30_000);
  let server: TestServer;
  let caps: Record<string, unknown>;
  let cookie: string;
  const code = (res: { ok: boolean; error?: { code: string } }) => (res.ok ? 'ok' : res.error!.code);

  before(async () => {
    server = await startTestServer();
    const org = await createOrganization(server.services);
    caps = await deviceRtpCapabilities(server);
    cookie = (await login(server, org.professional.email, org.professional.password)).cookie;
  });
  after(async () => {
    await server?.close();
  });

  async function readyCall() {
    const pro = await professionalSocket(server, cookie);
    const ready = await ask(pro, 'call:get-ready', {});
    if (!ready.ok) throw new Error(JSON.stringify(ready));
    return { pro, callId: ready.callId };
  }
  const transportsOf = (callId: string) => transportsOnCall(server, callId);

  it('connects both transports in the join: they say so, and connecting one again is refused', async () => {
    const { pro, callId } = await readyCall();
    const joined = await ask(pro, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey, dtlsParameters: browserDtls('AB') });
    if (!joined.ok) throw new Error(JSON.stringify(joined));
    expect([joined.sendTransport.connected, joined.recvTransport.connected]).to.deep.equal([true, true]);
    const again = await ask(pro, 'media:connect-transport', { callId, transportId: joined.recvTransport.id, dtlsParameters: browserDtls('AB') });
    expect(code(again), 'a second connect').to.equal('bad_request');
    expect(await transportsOf(callId), 'no transport made for the second connect').to.have.length(2);
    pro.disconnect();
  });

  it('without them, or with parameters mediasoup cannot use, the transports wait for the connect request as before', async () => {
    for (const dtlsParameters of [undefined, { role: 'client', fingerprints: [{ algorithm: 'md5', value: 'AB' }] }]) {
      const { pro, callId } = await readyCall();
      const joined = await ask(pro, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey, ...(dtlsParameters ? { dtlsParameters } : {}) });
      if (!joined.ok) throw new Error(JSON.stringify(joined));
      expect([joined.sendTransport.connected, joined.recvTransport.connected], JSON.stringify(dtlsParameters)).to.deep.equal([undefined, undefined]);
      const connected = await ask(pro, 'media:connect-transport', { callId, transportId: joined.recvTransport.id, dtlsParameters: browserDtls('CD') });
      expect(code(connected), 'the connect request').to.equal('ok');
      pro.disconnect();
    }
  });

  it('oversized DTLS parameters are a bad request, and nothing is joined', async () => {
    const { pro, callId } = await readyCall();
    const huge = { role: 'client', fingerprints: Array.from({ length: 100 }, () => browserDtls('EF').fingerprints[0]) };
    expect(code(await ask(pro, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey, dtlsParameters: huge }))).to.equal('bad_request');
    expect(server.services.media.existingRouter(callId), 'no media made for it').to.equal(undefined);
    const joined = await ask(pro, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey });
    expect(code(joined)).to.equal('ok');
    pro.disconnect();
  });
});
