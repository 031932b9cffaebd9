import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { loadConfig, SECRET_SETTINGS, SETTING_NAMES } from '../../signaling/src/config.ts';
import { startTestServer, type TestServer } from '../../signaling/src/test-support/test-server.ts';

/*
 * There is no container engine or cluster on the machines that run this suite, so the deployment files are
 * checked against what the code expects: the settings each one gives make a configuration the server
 * accepts in production (read from config.ts's schema now, so a setting added later is checked too),
 * secrets are given only as files from a secret store, ports and probes match what the server serves,
 * everything the server writes lands on a writable volume, and the image runs the set-up the tests run.
 */

const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.resolve(here, '../..');
const read = (file: string) => fs.readFileSync(path.join(here, file), 'utf8');

/** Read by the start script (infra/start.ts) and the runtime rather than config.ts. */
const START_SCRIPT_SETTINGS = ['CONSULT_DATA_DIR', 'MEDIASOUP_WORKER_BIN', 'HOME'];

const secretNames: string[] = [...SECRET_SETTINGS];
const isSetting = (name: string) => SETTING_NAMES.includes(name);
/** `<NAME>_FILE` of a setting (not a setting that names a file of its own, such as AUDIT_ANCHOR_FILE). */
const isSettingFile = (name: string) => name.endsWith('_FILE') && !isSetting(name) && isSetting(name.slice(0, -'_FILE'.length));

/** What a deployment hands the server: settings by value, and the paths it can write to. */
interface Target {
  name: string;
  env: Record<string, string>;
  /** Is this path (a setting's file) in a mounted secret? */
  inSecretStore(file: string): boolean;
  /** Is this path writable for the process (on a volume, tmpfs or the unit's state directory)? */
  writable(file: string): boolean;
  /** How long the engine waits after SIGTERM before it kills the process, in seconds. */
  stopTimeoutSeconds: number;
}

const under = (file: string, dir: string) => file === dir || file.startsWith(`${dir.replace(/\/$/, '')}/`);

// ---------------------------------------------------------------------------------------------------
// The files
// ---------------------------------------------------------------------------------------------------

interface ContainerfileStage {
  from: string;
  instructions: { op: string; args: string }[];
}

function parseContainerfile(text: string): ContainerfileStage[] {
  const logical = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: ContainerfileStage[] = [];
  for (const line of logical) {
    const [, op = '', args = ''] = /^(\S+)\s+(.*)$/.exec(line) ?? [];
    if (op === 'FROM') stages.push({ from: args, instructions: [] });
    else stages.at(-1)!.instructions.push({ op, args });
  }
  return stages;
}

const containerfile = parseContainerfile(read('Containerfile'));
const runtimeStage = containerfile.at(-1)!;
/** The runtime image's ENV (KEY=value pairs, several per instruction). */
const imageEnv: Record<string, string> = {};
for (const { args } of runtimeStage.instructions.filter((i) => i.op === 'ENV')) {
  for (const [, k = '', v = ''] of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) imageEnv[k] = v.replace(/^"|"$/g, '');
}
const imageVolumes: string[] = runtimeStage.instructions.filter((i) => i.op === 'VOLUME').flatMap((i) => JSON.parse(i.args) as string[]);
const imageUser = runtimeStage.instructions.filter((i) => i.op === 'USER').at(-1)?.args ?? 'root';

/** compose.yaml's `${VAR:?message}` / `${VAR}` interpolation, with the values an operator would give. */
const composeVariables: Record<string, string> = {
  CONSULT_DOMAIN: 'video.example.no',
  TURN_DOMAIN: 'turn.video.example.no',
  MEDIA_PUBLIC_IP: '203.0.113.10',
  HOSTING_PROVIDER: 'Example Cloud AS, Norway',
};
function interpolate(value: string): string {
  return value.replace(/(?<!\$)\$\{(\w+)(?::\?[^}]*)?\}/g, (_, name: string) => {
    if (!(name in composeVariables)) throw new Error(`compose.yaml uses \${${name}}, which the header does not list`);
    return composeVariables[name]!;
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Yaml = any;
const compose: Yaml = parseYaml(read('compose.yaml'));
const app: Yaml = compose.services.consult;

const k8sDocs: Yaml[] = fs
  .readdirSync(path.join(here, 'k8s'))
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(here, 'k8s', f), 'utf8')).map((d) => d.toJS()))
  .filter(Boolean);
const k8s = (kind: string, name?: string): Yaml[] => k8sDocs.filter((d) => d.kind === kind && (!name || d.metadata.name === name));
const deployment = k8s('Deployment', 'consult')[0];
const pod = deployment.spec.template.spec;
const container = pod.containers.find((c: Yaml) => c.name === 'consult');

/** A systemd unit: every `Key=value` line, by key (keys may repeat). */
function parseUnit(text: string): Map<string, string[]> {
  const entries = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) entries.set(m[1]!, [...(entries.get(m[1]!) ?? []), m[2]!]);
  }
  return entries;
}
const unit = parseUnit(read('consult.service'));
const unitValue = (key: string) => unit.get(key)?.at(-1);

// ---------------------------------------------------------------------------------------------------
// The three ways to run it, as the server sees them
// ---------------------------------------------------------------------------------------------------

function composeTarget(): Target {
  const env: Record<string, string> = { ...imageEnv };
  for (const [k, v] of Object.entries(app.environment as Record<string, string>)) env[k] = interpolate(String(v));
  const mounts: string[] = (app.volumes as string[]).map((v) => v.split(':')[1]!);
  const tmpfs: string[] = (app.tmpfs as string[]).map((t) => t.split(':')[0]!);
  return {
    name: 'compose.yaml',
    env,
    inSecretStore: (file) => {
      const m = /^\/run\/secrets\/([\w-]+)$/.exec(file);
      return !!m && (app.secrets as string[]).includes(m[1]!) && !!compose.secrets?.[m[1]!]?.file;
    },
    writable: (file) => [...mounts, ...tmpfs].some((dir) => under(file, dir)),
    stopTimeoutSeconds: Number(/^(\d+)s$/.exec(app.stop_grace_period)?.[1]),
  };
}

function kubernetesTarget(): Target {
  const env: Record<string, string> = { ...imageEnv };
  for (const from of container.envFrom ?? []) Object.assign(env, k8s('ConfigMap', from.configMapRef.name)[0].data);
  for (const e of container.env ?? []) {
    // The node's address, as the kubelet fills it in.
    env[e.name] = e.value ?? (e.valueFrom?.fieldRef?.fieldPath === 'status.hostIP' ? '10.0.0.5' : `<${JSON.stringify(e.valueFrom)}>`);
  }
  const volume = (name: string) => pod.volumes.find((v: Yaml) => v.name === name);
  const mounts: Yaml[] = container.volumeMounts;
  return {
    name: 'Kubernetes',
    env,
    inSecretStore: (file) => mounts.some((m) => volume(m.name)?.secret && m.readOnly && under(file, m.mountPath)),
    writable: (file) => mounts.some((m) => !m.readOnly && !volume(m.name)?.secret && under(file, m.mountPath)),
    stopTimeoutSeconds: pod.terminationGracePeriodSeconds,
  };
}

function systemdTarget(): Target {
  const envFile = unitValue('EnvironmentFile')!;
  expect(path.basename(envFile), 'the unit reads the settings file kept beside it').to.equal('consult.env');
  const env: Record<string, string> = { ...parseEnv(read('consult.env')) } as Record<string, string>;
  for (const assignment of unit.get('Environment') ?? []) {
    for (const [, k = '', v = ''] of assignment.matchAll(/(\w+)=(\S+)/g)) env[k] = v;
  }
  const credentials = new Map((unit.get('LoadCredential') ?? []).map((l) => l.split(':') as [string, string]));
  const stateDirs = (unitValue('StateDirectory') ?? '').split(/\s+/).filter(Boolean).map((d) => `/var/lib/${d}`);
  return {
    name: 'consult.service',
    env,
    inSecretStore: (file) => {
      const m = /^%d\/([\w-]+)$/.exec(file);
      const source = m && credentials.get(m[1]!);
      // The credential's source is off the data folder (a copy of the data must not carry its keys).
      return !!source && !stateDirs.some((d) => under(source, d));
    },
    writable: (file) => stateDirs.some((d) => under(file, d)) || (unitValue('PrivateTmp') === 'yes' && under(file, '/tmp')),
    stopTimeoutSeconds: Number(unitValue('TimeoutStopSec')),
  };
}

const targets = [composeTarget(), kubernetesTarget(), systemdTarget()];

/** A value the server accepts for a setting, written to a file as a secret store would hold it. */
function sampleSecret(name: string): string {
  if (name === 'DATA_ENCRYPTION_KEYS') return `k1:${Buffer.alloc(32, 7).toString('base64')}`;
  if (name === 'REDIS_URL') return 'redis://:a-password-of-the-deployment@redis:6379/0';
  return 'a1'.repeat(32);
}

/** The target's settings as the server reads them: each `<NAME>_FILE` pointed at a file holding a valid value. */
function resolvedEnv(target: Target, dir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(target.env)) {
    if (isSettingFile(k)) {
      const setting = k.slice(0, -'_FILE'.length);
      const file = path.join(dir, `${target.name}-${setting}`);
      fs.writeFileSync(file, `${sampleSecret(setting)}\n`);
      env[k] = file;
    } else env[k] = v;
  }
  return env;
}

// ---------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------

describe('deployment files (infra/deploy/)', () => {
  let scratch: string;
  before(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-files-'));
  });
  after(() => fs.rmSync(scratch, { recursive: true, force: true }));

  for (const target of targets) {
    describe(target.name, () => {
      it('gives only settings the server (or the start script) knows', () => {
        const unknown = Object.keys(target.env).filter((k) => {
          return !isSetting(k) && !isSettingFile(k) && !START_SCRIPT_SETTINGS.includes(k);
        });
        expect(unknown, 'settings no code reads (a typo, or one that was renamed)').to.deep.equal([]);
      });

      it('makes a configuration the server accepts in production, every required setting given', () => {
        const env = resolvedEnv(target, scratch);
        expect(env.NODE_ENV).to.equal('production');
        expect(() => loadConfig(env)).not.to.throw();
      });

      it('gives every secret only as a file from the secret store, never by value', () => {
        for (const name of secretNames) {
          expect(target.env, `${name} by value`).not.to.have.property(name);
          const file = target.env[`${name}_FILE`];
          if (file !== undefined) expect(target.inSecretStore(file), `${name}_FILE=${file} is not in a mounted secret`).to.equal(true);
        }
        for (const required of ['REDIS_URL', 'DATA_ENCRYPTION_KEYS', 'ADDRESS_HASH_KEY']) expect(target.env).to.have.property(`${required}_FILE`);
      });

      it('has a writable volume for everything the server writes', () => {
        const config = loadConfig(resolvedEnv(target, scratch));
        const written = [target.env.CONSULT_DATA_DIR, '/tmp', config.LOG_DIR, config.AUDIT_ANCHOR_FILE && path.dirname(config.AUDIT_ANCHOR_FILE)];
        for (const file of written.filter((f): f is string => !!f)) expect(target.writable(file), `${file} is not writable`).to.equal(true);
        // Nothing secret on a writable volume: a copy of the data must not carry the keys that open it.
        for (const [k, v] of Object.entries(target.env)) if (isSettingFile(k)) expect(target.writable(v), `${k} on a writable volume`).to.equal(false);
      });

      it('waits longer than the calls\' grace before killing the process on stop', () => {
        const grace = loadConfig(resolvedEnv(target, scratch)).SHUTDOWN_GRACE_SECONDS;
        // start.ts closes Redis and the workers after the grace: a few seconds more.
        expect(target.stopTimeoutSeconds).to.be.at.least(grace + 5);
      });
    });
  }

  describe('Containerfile', () => {
    it('builds in a stage of its own with the set-up script the tests run', () => {
      expect(containerfile.length, 'stages').to.be.at.least(2);
      const build = containerfile.slice(0, -1).flatMap((s) => s.instructions.filter((i) => i.op === 'RUN').map((i) => i.args));
      // infra/test.sh runs infra/setup.sh through setup-env.sh's setup_and_export_worker: so does the image.
      const testScript = fs.readFileSync(path.join(root, 'infra/test.sh'), 'utf8');
      expect(testScript).to.match(/source infra\/setup-env\.sh/).and.to.match(/setup_and_export_worker/);
      expect(fs.readFileSync(path.join(root, 'infra/setup-env.sh'), 'utf8')).to.match(/infra\/setup\.sh "\$@"/);
      expect(build.some((r) => /source infra\/setup-env\.sh && setup_and_export_worker /.test(r))).to.equal(true);
      // The worker the set-up built is the one the runtime stage names.
      expect(build.join('\n')).to.include(imageEnv.MEDIASOUP_WORKER_BIN);
      expect(runtimeStage.instructions.some((i) => i.op === 'COPY' && i.args.startsWith('--from=') && i.args.includes(imageEnv.MEDIASOUP_WORKER_BIN!))).to.equal(true);
      expect(runtimeStage.instructions.find((i) => i.op === 'CMD')?.args).to.include('infra/start.ts');
    });

    it('leaves local settings, deployment secrets and certificates out of the build context', () => {
      const ignored = fs.readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
      expect(ignored).to.include.members(['.env', 'node_modules']);
      // compose.yaml's secret files and the proxy's certificates sit beside it; none may reach an image layer.
      const composeSecretDirs = new Set(Object.values(compose.secrets as Record<string, { file: string }>).map((s) => path.dirname(s.file)));
      for (const dir of composeSecretDirs) expect(ignored).to.include(path.join('infra/deploy', dir));
      expect(ignored).to.include('infra/deploy/tls');
      const gitIgnored = fs.readFileSync(path.join(root, '.gitignore'), 'utf8').split('\n').map((l) => l.trim().replace(/\/$/, ''));
      for (const dir of [...composeSecretDirs].map((d) => path.join('infra/deploy', d))) expect(gitIgnored).to.include(dir);
    });

    it('runs as a user other than root, the same one compose and Kubernetes give', () => {
      const uid = Number(imageUser.split(':')[0]);
      expect(uid).to.be.greaterThan(0);
      expect(String(app.user).split(':')[0]).to.equal(String(uid));
      expect(pod.securityContext.runAsUser).to.equal(uid);
      expect(pod.securityContext.runAsNonRoot).to.equal(true);
    });

    it('names its writable volumes, and the engines run it on a read-only root filesystem', () => {
      expect(imageVolumes).to.include.members([imageEnv.CONSULT_DATA_DIR, '/tmp']);
      expect(app.read_only).to.equal(true);
      expect(container.securityContext.readOnlyRootFilesystem).to.equal(true);
      expect(container.securityContext.allowPrivilegeEscalation).to.equal(false);
      expect(unitValue('ProtectSystem')).to.equal('strict');
    });

    it('listens where the proxy and the probes look: on every interface of the container, on PORT', () => {
      for (const target of targets.slice(0, 2)) expect(target.env.HOST, target.name).to.equal('0.0.0.0');
      // On a Debian host the proxy is local: the service stays on loopback.
      expect(targets[2]!.env.HOST).to.equal('127.0.0.1');
      const port = Number(composeTarget().env.PORT);
      expect(read('nginx.conf')).to.match(new RegExp(`server consult:${port};`));
      expect(app.ports as string[]).not.to.satisfy((ports: string[]) => ports.some((p) => p.endsWith(`:${port}/tcp`) || p === String(port)));
      expect(container.ports.find((p: Yaml) => p.name === 'http').containerPort).to.equal(Number(kubernetesTarget().env.PORT));
    });
  });

  describe('probes', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer();
    });
    after(async () => {
      await server?.close();
    });

    const healthcheck = runtimeStage.instructions.find((i) => i.op === 'HEALTHCHECK')?.args ?? '';
    const probes: [string, string][] = [
      ['Containerfile HEALTHCHECK', /\/(readyz|healthz)\b/.exec(healthcheck)?.[0] ?? '(none)'],
      ['Kubernetes livenessProbe', container.livenessProbe?.httpGet?.path],
      ['Kubernetes readinessProbe', container.readinessProbe?.httpGet?.path],
      ['Kubernetes startupProbe', container.startupProbe?.httpGet?.path],
    ];

    it('are the routes the issue names: /healthz for liveness, /readyz for readiness', () => {
      expect(container.livenessProbe.httpGet.path).to.equal('/healthz');
      expect(container.readinessProbe.httpGet.path).to.equal('/readyz');
      expect(container.readinessProbe.timeoutSeconds, 'each readiness check may take a second').to.be.at.least(2);
      for (const p of ['livenessProbe', 'readinessProbe', 'startupProbe']) expect(container[p].httpGet.port).to.equal('http');
    });

    for (const [where, probePath] of probes) {
      it(`${where} asks for a route the server answers with 200 (${probePath})`, async () => {
        const res = await fetch(`${server.url}${probePath}`);
        expect(res.status).to.equal(200);
      });
    }
  });

  describe('media ports', () => {
    for (const target of targets.slice(0, 2)) {
      it(`${target.name} opens exactly the ports of the media workers, UDP and TCP`, () => {
        const base = Number(target.env.RTC_PORT_BASE);
        const workers = Number(target.env.MEDIA_WORKERS);
        expect(base).to.be.greaterThan(1023);
        expect(workers, 'MEDIA_WORKERS set (the default follows the cores the engine shows)').to.be.greaterThan(0);
        const expected = Array.from({ length: workers }, (_, i) => [`${base + i}/udp`, `${base + i}/tcp`]).flat().sort();
        if (target.name === 'compose.yaml') {
          const published = (app.ports as string[]).map((p) => {
            const [host, inside = ''] = p.split(':');
            expect(host, 'the same port outside and in (it is the port announced to browsers)').to.equal(inside.split('/')[0]);
            return inside;
          });
          expect(published.sort()).to.deep.equal(expected);
        } else {
          const hostPorts = container.ports.filter((p: Yaml) => p.hostPort).map((p: Yaml) => {
            expect(p.hostPort).to.equal(p.containerPort);
            return `${p.hostPort}/${p.protocol.toLowerCase()}`;
          });
          expect(hostPorts.sort()).to.deep.equal(expected);
          // The NetworkPolicy lets browsers (and coturn) reach them.
          const policy = k8s('NetworkPolicy', 'consult')[0];
          for (const proto of ['UDP', 'TCP']) {
            expect(policy.spec.ingress.some((rule: Yaml) => !rule.from && rule.ports.some((p: Yaml) => p.protocol === proto && p.port <= base && (p.endPort ?? p.port) >= base + workers - 1)), proto).to.equal(true);
          }
          // One worker per requested core.
          expect(Number(container.resources.requests.cpu)).to.equal(workers);
        }
      });
    }
  });

  describe('Kubernetes', () => {
    it('lets the proxy and Prometheus reach the service and its metrics, and points its Services at the pods', () => {
      const env = kubernetesTarget().env;
      const policy = k8s('NetworkPolicy', 'consult')[0];
      expect(policy.spec.podSelector.matchLabels).to.deep.equal(deployment.spec.selector.matchLabels);
      const tcpIn = policy.spec.ingress.filter((r: Yaml) => r.from).flatMap((r: Yaml) => r.ports.map((p: Yaml) => p.port));
      expect(tcpIn).to.include.members([Number(env.PORT), Number(env.METRICS_PORT)]);
      expect(container.ports.find((p: Yaml) => p.name === 'metrics').containerPort).to.equal(Number(env.METRICS_PORT));
      for (const service of k8s('Service')) {
        expect(service.spec.selector, service.metadata.name).to.deep.equal(deployment.spec.selector.matchLabels);
        for (const p of service.spec.ports) expect(container.ports.map((c: Yaml) => c.name), service.metadata.name).to.include(p.targetPort);
      }
      const egressPorts = policy.spec.egress.flatMap((r: Yaml) => r.ports.map((p: Yaml) => p.port));
      expect(egressPorts, 'Redis, DNS and HTTPS out').to.include.members([6379, 53, 443]);
    });

    it('keeps a pod up through voluntary disruptions and gives it resources', () => {
      const budget = k8s('PodDisruptionBudget')[0];
      expect(budget.spec.selector.matchLabels).to.deep.equal(deployment.spec.selector.matchLabels);
      expect(budget.spec.maxUnavailable ?? 0).to.be.at.most(1);
      expect(container.resources.requests).to.have.keys('cpu', 'memory');
      expect(container.resources.limits).to.have.property('memory');
    });

    it('references its Secret without holding any secret value', () => {
      expect(k8s('Secret'), 'no Secret with values in these files').to.deep.equal([]);
      const secretVolume = pod.volumes.find((v: Yaml) => v.secret);
      expect(secretVolume.secret.secretName).to.be.a('string');
    });
  });

  describe('compose.yaml', () => {
    const redis = compose.services.redis;
    const redisConf = parseUnitLike(read('redis.conf'));

    it('runs Redis with a password from a secret, AOF every second, no eviction and its data on a volume', () => {
      expect(redisConf.get('appendonly')).to.equal('yes');
      expect(redisConf.get('appendfsync')).to.equal('everysec');
      expect(redisConf.get('maxmemory-policy')).to.equal('noeviction');
      expect(redisConf.has('requirepass'), 'no password in the file').to.equal(false);
      const dataVolume = (redis.volumes as string[]).find((v) => v.split(':')[1] === redisConf.get('dir'));
      expect(dataVolume, 'a named volume for Redis\'s dir').to.match(/^[\w-]+:/);
      expect(Object.keys(compose.volumes)).to.include(dataVolume!.split(':')[0]);
      expect(redis.secrets).to.include('redis_password');
      expect(redis.entrypoint.join(' ')).to.include('/run/secrets/redis_password').and.to.include('requirepass');
      expect(app.depends_on.redis.condition).to.equal('service_healthy');
    });

    it('runs coturn with the server\'s TURN secret, read from the same secret file', () => {
      const coturn = compose.services.coturn;
      const turnSecretFile = app.environment.TURN_SECRET_FILE as string;
      expect(coturn.secrets).to.include(path.basename(turnSecretFile));
      expect(coturn.entrypoint.join(' ')).to.include(`--static-auth-secret="$$(cat ${turnSecretFile})"`);
      const conf = read('turnserver.conf');
      expect(conf).to.match(/^use-auth-secret$/m).and.to.match(/^denied-peer-ip=0\.0\.0\.0-255\.255\.255\.255$/m);
      expect(conf).not.to.match(/^static-auth-secret=/m);
    });

    it('puts a TLS proxy in front that passes WebSocket upgrades and logs no query string', () => {
      const proxy = compose.services.proxy;
      expect(proxy.ports).to.include.members(['443:443/tcp']);
      const conf = read('nginx.conf');
      expect(conf).to.match(/proxy_set_header Upgrade \$http_upgrade;/).and.to.match(/proxy_set_header Connection \$connection_upgrade;/);
      expect(conf).to.match(/ssl_certificate /);
      // Stripe's client secret arrives in the payment frame's query (/r/<room>/pay, /c/<link>/pay).
      const formats = [...conf.matchAll(/log_format\s+\w+\s+'([^']*)'/g)].map((m) => m[1]);
      expect(formats).to.have.length.greaterThan(0);
      for (const f of formats) expect(f).not.to.match(/\$(request(?![_a-z])|request_uri|args|arg_\w+|query_string)/);
      for (const [, target = ''] of conf.matchAll(/access_log\s+(.*);/g)) expect(target === 'off' || formats.length > 0 && /\s\w+$/.test(target), target).to.equal(true);
      expect(conf).not.to.match(/access_log\s+\S+\s*;/); // never the default "combined" format, which has $request
      expect(conf).to.match(/location = \/metrics \{ return 404; \}/);
    });
  });

  describe('consult.service (Debian, systemd)', () => {
    it('names the worker that infra/setup.sh builds for the installed mediasoup', () => {
      const version = JSON.parse(fs.readFileSync(path.join(root, 'node_modules/mediasoup/package.json'), 'utf8')).version;
      expect(systemdTarget().env.MEDIASOUP_WORKER_BIN).to.include(`/mediasoup-worker-${version}/mediasoup-worker`);
    });

    it('stops only the main process first, so the media workers keep calls going through the grace', () => {
      expect(unitValue('KillSignal')).to.equal('SIGTERM');
      expect(unitValue('KillMode')).to.equal('mixed');
    });

    it('is hardened', () => {
      for (const [key, value] of Object.entries({ NoNewPrivileges: 'yes', ProtectHome: 'yes', PrivateTmp: 'yes', PrivateDevices: 'yes', RestrictSUIDSGID: 'yes', CapabilityBoundingSet: '' })) {
        expect(unitValue(key), key).to.equal(value);
      }
      expect(unitValue('User')).to.be.a('string').and.not.equal('root');
      expect(unit.get('EnvironmentFile')).to.have.length(1);
    });
  });
});

/** `key value` lines (redis.conf). */
function parseUnitLike(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([\w-]+)\s+(.*)$/.exec(line.trim());
    if (m && !line.trim().startsWith('#')) entries.set(m[1]!, m[2]!);
  }
  return entries;
}
