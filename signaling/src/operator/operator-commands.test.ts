import { expect } from 'chai';
import { execFile } from 'node:child_process';
import type { Me } from '../../protocol/index.ts';
import { keys } from '../redis/keys.ts';
import { dumpRedis } from '../test-support/redis-dump.ts';
import { createOrganization, login, postJson, startTestServer, type TestServer } from '../test-support/test-server.ts';

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The operator commands as an operator runs them (`npm run org:create -- ...`): their own processes, with
 * the server's settings, against the test's real Redis; what they did is checked through the real server.
 */
describe('operator commands: a clinic from nothing, another admin invitation, the list of organizations, a lost phone (real processes, Redis, server)', function () {
  this.timeout(120_000);
  let server: TestServer;

  before(async () => {
    // The purge job writes its bookkeeping on its own timer: not in the middle of a "nothing written" check.
    server = await startTestServer({ env: { PURGE_INTERVAL_SECONDS: '3600' } });
  });
  after(async () => {
    await server?.close();
  });

  function run(command: 'create-organization' | 'list-organizations' | 'reset-second-factor' | 'invite-admin', ...args: string[]): Promise<Ran> {
    const env = {
      ...process.env,
      REDIS_URL: server.redis.url,
      DATA_ENCRYPTION_KEYS: server.services.config.DATA_ENCRYPTION_KEYS,
      ADDRESS_HASH_KEY: server.services.config.ADDRESS_HASH_KEY,
      PUBLIC_ORIGIN: server.origin,
      // No fallback to a local `npm start`'s settings on the machine running the tests.
      CONSULT_DATA_DIR: '/nonexistent',
    };
    return new Promise((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', `signaling/src/operator/${command}-cli.ts`, ...args], { env }, (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr });
      });
    });
  }

  /** Runs a command that must be refused: exit 1, the problem named, and Redis exactly as before. */
  async function refused(command: Parameters<typeof run>[0], args: string[], problem: RegExp): Promise<void> {
    const before = await dumpRedis(server.redis.client);
    const ran = await run(command, ...args);
    expect(ran.code, `${command} ${args.join(' ')}: ${ran.stderr}`).to.equal(1);
    expect(ran.stderr, args.join(' ')).to.match(problem);
    expect(ran.stdout).to.equal('');
    const after = await dumpRedis(server.redis.client);
    expect([...after.keys()], `${args.join(' ')}: no key written or removed`).to.deep.equal([...before.keys()]);
    for (const [key, { value }] of after) expect(value, `${args.join(' ')}: ${key} unchanged`).to.deep.equal(before.get(key)!.value);
  }

  async function operatorEntries(orgId: string) {
    return (await server.services.audit.list(orgId, { actor: 'operator' })).entries;
  }

  it('org:create makes an organization with its first room and a single-use invitation with its code; the admin joins with both and sees the Organization page', async () => {
    const ran = await run('create-organization', '--name', 'Hansen legekontor', '--admin-email', 'Kari@Example.no', '--admin-name', 'Kari Hansen');
    expect(ran.code, ran.stderr).to.equal(0);
    const orgId = /organization ([0-9a-f]{32}) created: Hansen legekontor/.exec(ran.stdout)?.[1];
    const link = /link: (\S+)/.exec(ran.stdout)?.[1];
    const code = /code: (\d{8})\b/.exec(ran.stdout)?.[1];
    expect(orgId, ran.stdout).to.be.a('string');
    expect(link).to.match(new RegExp(`^${server.origin}/dashboard/#invitation=${orgId}\\.`));
    expect(code).to.be.a('string');
    expect(link).to.not.include(code!);
    expect(ran.stdout).to.include(`${server.origin}/r/hansen-legekontor`);

    // The clinic's first room answers visitors at once.
    const room = (await (await fetch(`${server.url}/api/rooms/hansen-legekontor`)).json()) as { roomName?: string; professionalName?: string };
    expect(JSON.stringify(room)).to.include('Hansen legekontor');

    // The invited admin: the link alone is not enough; with the code, a password, then two-step login.
    const token = link!.split('#invitation=')[1]!;
    const lookup = (await (await postJson(server, '/api/invitations/lookup', { token })).json()) as { organizationName: string; email: string };
    expect(lookup).to.deep.include({ organizationName: 'Hansen legekontor', email: 'kari@example.no' });
    const accepted = await postJson(server, '/api/invitations/accept', { token, code, password: 'kari chose a long password' });
    expect(accepted.status, await accepted.clone().text()).to.equal(201);
    expect(((await accepted.json()) as Me).pending).to.equal('second-factor-setup');
    const again = await postJson(server, '/api/invitations/accept', { token, code, password: 'someone else tries' });
    expect(again.status, 'single use').to.equal(404);

    const kari = await login(server, 'kari@example.no', 'kari chose a long password');
    expect(kari.pending).to.equal(null);
    const overview = await fetch(`${server.url}/api/admin/organization`, { headers: { cookie: kari.cookie } });
    expect(overview.status, 'an admin: the Organization page answers').to.equal(200);
    const body = (await overview.json()) as { members: { email: string; role: string }[]; rooms: { name: string; kind: string }[] };
    expect(body.members).to.deep.equal([{ ...body.members[0], email: 'kari@example.no', role: 'admin' }]);
    expect(body.rooms.map((r) => [r.name, r.kind]).sort()).to.deep.equal([
      ['Hansen legekontor', 'shared'],
      ['Kari Hansen', 'personal'],
    ]);

    const [entry] = await operatorEntries(orgId!);
    expect(entry).to.deep.include({ action: 'operator_command', targetId: orgId });
    expect(entry!.detail).to.deep.include({ command: 'org_create', invited: 'admin' });
  });

  it('org:create refuses a missing flag, an empty name, a malformed or taken e-mail, an unknown flag: the problem named, exit 1, nothing written', async () => {
    const taken = await createOrganization(server.services);
    await refused('create-organization', ['--admin-email', 'a@example.no'], /missing --name/);
    await refused('create-organization', ['--name', 'Fjord'], /missing --admin-email/);
    await refused('create-organization', [], /missing --name and --admin-email/);
    await refused('create-organization', ['--name', '', '--admin-email', 'a@example.no'], /--name must not be empty/);
    await refused('create-organization', ['--name', '   ', '--admin-email', 'a@example.no'], /--name must not be empty/);
    await refused('create-organization', ['--name', 'x'.repeat(81), '--admin-email', 'a@example.no'], /--name is too long/);
    await refused('create-organization', ['--name', 'Fjord', '--admin-email', 'kari@'], /--admin-email is not an e-mail address: "kari@"/);
    await refused('create-organization', ['--name', 'Fjord', '--admin-email', ''], /--admin-email is not an e-mail address/);
    await refused('create-organization', ['--name', 'Fjord', '--admin-email', taken.professional.email.toUpperCase()], /already belongs to a member/);
    await refused('create-organization', ['--name', 'Fjord', '--admin-email', 'a@example.no', '--nmae', 'x'], /Unknown option '--nmae'/);
    await refused('create-organization', ['--name', 'Fjord', '--admin-email'], /--admin-email/);
    // A setting missing is refused the same way, before anything connects.
    const withoutKey = await new Promise<Ran>((resolve) =>
      execFile(
        process.execPath,
        ['--import', 'tsx', 'signaling/src/operator/create-organization-cli.ts', '--name', 'Fjord', '--admin-email', 'a@example.no'],
        { env: { ...process.env, REDIS_URL: server.redis.url, DATA_ENCRYPTION_KEYS: '', ADDRESS_HASH_KEY: '', CONSULT_DATA_DIR: '/nonexistent' } },
        (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr }),
      ),
    );
    expect(withoutKey.code).to.equal(1);
    expect(withoutKey.stderr).to.match(/DATA_ENCRYPTION_KEYS, ADDRESS_HASH_KEY must be set/);
  });

  it('org:invite-admin: a new invitation for an admin of an existing organization (the first expired, or the last admin left)', async () => {
    const org = await createOrganization(server.services, { name: 'Fjellklinikken' });
    const ran = await run('invite-admin', '--org', org.org.id, '--admin-email', 'ola.nordmann@example.no');
    expect(ran.code, ran.stderr).to.equal(0);
    expect(ran.stdout).to.include('Ola Nordmann <ola.nordmann@example.no>');
    const token = /#invitation=(\S+)/.exec(ran.stdout)![1]!;
    const code = /code: (\d{8})\b/.exec(ran.stdout)![1]!;
    const accepted = await postJson(server, '/api/invitations/accept', { token, code, password: 'ola chose a long password' });
    expect(accepted.status, await accepted.clone().text()).to.equal(201);
    const ola = await server.services.organizations.findProfessionalByEmail('ola.nordmann@example.no');
    expect(ola).to.deep.include({ orgId: org.org.id, role: 'admin', name: 'Ola Nordmann' });
    expect((await operatorEntries(org.org.id)).map((e) => e.detail.command)).to.deep.equal(['org_invite_admin']);

    await refused('invite-admin', ['--org', org.org.id], /missing --admin-email/);
    await refused('invite-admin', ['--admin-email', 'a@example.no'], /missing --org/);
    await refused('invite-admin', ['--org', 'x', '--admin-email', 'a@example.no'], /--org is not an organization id/);
    await refused('invite-admin', ['--org', 'b'.repeat(32), '--admin-email', 'a@example.no'], /no organization b{32}/);
    await refused('invite-admin', ['--org', org.org.id, '--admin-email', 'not-an-address'], /--admin-email is not an e-mail address/);
    await refused('invite-admin', ['--org', org.org.id, '--admin-email', 'ola.nordmann@example.no'], /already belongs to a member/);
    await refused('invite-admin', ['--org', org.org.id, '--admin-email', 'a@example.no', '--admin-name', ' '], /--admin-name must not be empty/);
  });

  it('org:list shows each organization’s id, name, creation day, member count and state, no member’s data, and is recorded in each log', async () => {
    const listed = await createOrganization(server.services, { name: 'Listed Clinic' });
    const ran = await run('list-organizations');
    expect(ran.code, ran.stderr).to.equal(0);
    const line = ran.stdout.split('\n').find((l) => l.includes(listed.org.id))!;
    const today = new Date().toISOString().slice(0, 10);
    expect(line.split(/\s{2,}/)).to.deep.equal([listed.org.id, today, '1', 'open', 'Listed Clinic']);
    expect(ran.stdout).to.not.include(listed.professional.email);
    expect(ran.stdout).to.not.include(listed.professional.name);
    expect((await operatorEntries(listed.org.id)).map((e) => e.detail.command)).to.deep.equal(['org_list']);
    await refused('list-organizations', ['--all'], /Unknown option '--all'/);
  });

  it('member:reset-second-factor: the old app and recovery codes stop working, sessions end, and the next login sets it up again', async () => {
    const org = await createOrganization(server.services);
    const { professional: pro } = org;
    const before = await login(server, pro.email, pro.password);
    const oldSecret = await server.services.secondFactor.secretOf(org.org.id, pro.id);
    expect(oldSecret).to.be.a('string');
    const me = () => fetch(`${server.url}/api/auth/me`, { headers: { cookie: before.cookie } }).then((r) => r.status);
    expect(await me()).to.equal(200);

    const ran = await run('reset-second-factor', '--org', org.org.id, '--member', pro.email.toUpperCase());
    expect(ran.code, ran.stderr).to.equal(0);
    expect(ran.stdout).to.match(/two-step login reset, 1 session\(s\) ended/);
    expect(await me(), 'their session ended').to.equal(401);
    expect(await server.services.secondFactor.isEnabled(org.org.id, pro.id)).to.equal(false);
    expect(await server.redis.client.exists(keys.recoveryCodes(org.org.id, pro.id))).to.equal(0);
    const next = await postJson(server, '/api/auth/login', { email: pro.email, password: pro.password });
    expect(((await next.json()) as Me).pending, 'set up again after the password').to.equal('second-factor-setup');
    const again = await login(server, pro.email, pro.password);
    expect(again.pending).to.equal(null);
    expect(await server.services.secondFactor.secretOf(org.org.id, pro.id)).to.not.equal(oldSecret);

    // By member id too.
    const byId = await run('reset-second-factor', '--org', org.org.id, '--member', pro.id);
    expect(byId.code, byId.stderr).to.equal(0);
    expect((await operatorEntries(org.org.id)).map((e) => [e.detail.command, e.targetId])).to.deep.equal([
      ['member_reset_second_factor', pro.id],
      ['member_reset_second_factor', pro.id],
    ]);
  });

  it('member:reset-second-factor refuses a missing flag, a malformed or unknown organization, an unknown member or one of another organization', async () => {
    const org = await createOrganization(server.services);
    const other = await createOrganization(server.services);
    await login(server, org.professional.email, org.professional.password);
    await refused('reset-second-factor', ['--org', org.org.id], /missing --member/);
    await refused('reset-second-factor', ['--member', org.professional.email], /missing --org/);
    await refused('reset-second-factor', ['--org', 'nope', '--member', org.professional.email], /--org is not an organization id/);
    await refused('reset-second-factor', ['--org', 'a'.repeat(32), '--member', org.professional.email], new RegExp(`no organization ${'a'.repeat(32)}`));
    await refused('reset-second-factor', ['--org', org.org.id, '--member', 'nobody@example.no'], /no member nobody@example.no in organization/);
    await refused('reset-second-factor', ['--org', org.org.id, '--member', other.professional.email], /no member .* in organization/);
    await refused('reset-second-factor', ['--org', org.org.id, '--member', other.professional.id], /no member .* in organization/);
    await refused('reset-second-factor', ['--org', org.org.id, '--member', ''], /--member must not be empty/);
  });
});
