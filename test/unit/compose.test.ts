// docker-compose.yml and the Dockerfile, checked against the repository since no Docker engine runs
// here: every service, command, port, volume, host name and environment variable they reference must
// exist (errorscope's variables in the one config schema, CONFIG_KEYS; image variables of Kafka,
// ClickHouse and Grafana only from explicit allow-lists), and the start order must hold.
import { existsSync, readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CONFIG_KEYS, parseConfig } from '../../services/config.js';
import { loadProvisioningFiles, provisioningEnvNames } from '../helpers/infinity.js';

const ROOT = new URL('../../', import.meta.url);
const read = (p: string) => readFileSync(new URL(p, ROOT), 'utf8');
const composeText = read('docker-compose.yml');
// Compose honours YAML merge keys (<<: *anchor); so must the parser.
const compose = parseYaml(composeText, { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};

interface Service {
  image?: string;
  build?: string | { context: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
}

/** The variables compose itself substitutes (${VAR}, ${VAR:-default}, ${VAR:?message}). */
const USER_VARS = { ERRORSCOPE_API_TOKEN: 'token-from-env' };
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_m, name: string, op?: string, arg?: string) => {
    const v = env[name];
    if (v !== undefined && v !== '') return v;
    if (op === '-') return arg ?? '';
    if (op === '?') throw new Error(`${name} is required: ${arg}`);
    return '';
  });
}
const envOf = (s: Service, env: Record<string, string> = USER_VARS) =>
  Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), env)]));

const services = compose.services;
const ERRORSCOPE = ['migrate', 'ingest', 'api'];

/** Variables the third-party images read (their documentation), nothing else may be set on them. */
const IMAGE_ENV: Record<string, (k: string) => boolean> = {
  kafka: (k) => k.startsWith('KAFKA_'),
  clickhouse: (k) =>
    ['CLICKHOUSE_USER', 'CLICKHOUSE_PASSWORD', 'CLICKHOUSE_DB', 'CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT'].includes(k),
  grafana: (k) => k.startsWith('GF_'),
};

function capture(): { stream: Writable; text: () => string } {
  let buf = '';
  return {
    stream: new Writable({
      write(chunk, _enc, cb) {
        buf += String(chunk);
        cb();
      },
    }),
    text: () => buf,
  };
}

async function cliHelp(args: string[]): Promise<string> {
  const { main } = await import('../../services/cli/main.js');
  const out = capture();
  const code = await main([...args, '--help'], { stdout: out.stream, stderr: out.stream, env: {} });
  expect(code, out.text()).toBe(0);
  return out.text();
}

describe('docker-compose.yml', () => {
  it('has the six services of the stack', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'clickhouse', 'grafana', 'ingest', 'kafka', 'migrate']);
    expect(services.kafka?.image).toMatch(/^apache\/kafka:\d/);
    expect(services.clickhouse?.image).toMatch(/^clickhouse\/clickhouse-server:\d/);
    expect(services.grafana?.image).toMatch(/^grafana\/grafana:12\./);
  });

  it('builds errorscope once from the Dockerfile and runs every command from that image', () => {
    const build = services.migrate?.build;
    expect(build).toBe('.');
    expect(existsSync(new URL('Dockerfile', ROOT))).toBe(true);
    for (const name of ERRORSCOPE) expect(services[name]?.image, name).toBe(services.migrate?.image);
    expect(services.ingest?.build).toBeUndefined();
    expect(services.api?.build).toBeUndefined();
  });

  it('runs commands and flags the CLI has', async () => {
    const usage = await cliHelp([]);
    for (const [name, cmd] of [
      ['migrate', 'migrate'],
      ['ingest', 'ingest'],
      ['api', 'serve'],
    ] as const) {
      const command = services[name]?.command ?? [];
      expect(command.slice(0, 3)).toEqual(['node', 'bin/errorscope.js', cmd]);
      expect(existsSync(new URL('bin/errorscope.js', ROOT))).toBe(true);
      expect(usage).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
      const help = await cliHelp([cmd]);
      for (const flag of command.slice(3).filter((a) => a.startsWith('--')))
        expect(help, `${cmd} ${flag}`).toContain(flag);
    }
  });

  it('starts in order: migrate once after ClickHouse is healthy, ingest and api after migrate succeeded, Grafana after the API', () => {
    expect(services.migrate?.restart).toBe('no');
    expect(services.migrate?.depends_on).toEqual({ clickhouse: { condition: 'service_healthy' } });
    for (const name of ['ingest', 'api']) {
      expect(services[name]?.depends_on?.migrate, name).toEqual({ condition: 'service_completed_successfully' });
      expect(services[name]?.depends_on?.clickhouse, name).toEqual({ condition: 'service_healthy' });
    }
    expect(services.ingest?.depends_on?.kafka).toEqual({ condition: 'service_healthy' });
    expect(services.grafana?.depends_on?.api).toEqual({ condition: 'service_healthy' });
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(services[dep], `${name} depends on ${dep}`).toBeDefined();
        expect(['service_started', 'service_healthy', 'service_completed_successfully']).toContain(condition);
        if (condition === 'service_healthy')
          expect(services[dep]?.healthcheck, `${dep} needs a healthcheck`).toBeDefined();
      }
    }
  });

  it('gives errorscope only variables of the config schema, with values it accepts', () => {
    for (const name of ERRORSCOPE) {
      const env = envOf(services[name]!);
      for (const key of Object.keys(env)) expect(CONFIG_KEYS as string[], `${name}: ${key}`).toContain(key);
      const cfg = parseConfig(env);
      expect(cfg.CLICKHOUSE_URL, name).toBe('http://clickhouse:8123');
    }
    const api = parseConfig(envOf(services.api!));
    expect(api.API_TOKENS).toEqual(['token-from-env']);
    expect(api.HOST).toBe('0.0.0.0');
  });

  it('refuses to start without a token rather than serve an open API', () => {
    expect(() => envOf(services.api!, {})).toThrow(/ERRORSCOPE_API_TOKEN is required/);
    expect(() => envOf(services.grafana!, {})).toThrow(/ERRORSCOPE_API_TOKEN is required/);
  });

  it('sets only documented variables on the third-party images', () => {
    for (const [name, allowed] of Object.entries(IMAGE_ENV)) {
      for (const key of Object.keys(services[name]?.environment ?? {})) {
        const readByProvisioning = name === 'grafana' && grafanaProvisioningEnv().includes(key);
        expect(allowed(key) || readByProvisioning, `${name}: ${key}`).toBe(true);
      }
    }
  });

  it('hands Grafana every variable its provisioning files read, pointing at the services', () => {
    const env = envOf(services.grafana!);
    for (const key of grafanaProvisioningEnv()) expect(env[key], key).toBeTruthy();
    expect(env.ERRORSCOPE_API_TOKEN).toBe(envOf(services.api!).API_TOKENS);
    const apiPort = Number(envOf(services.api!).PORT);
    expect(new URL(env.ERRORSCOPE_API_URL!).host).toBe(`api:${apiPort}`);
    expect(env.GF_PLUGINS_PREINSTALL_SYNC ?? env.GF_INSTALL_PLUGINS).toContain('yesoreyeram-infinity-datasource');
    const home = env.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH!;
    // The most specific mount wins (the dashboards directory sits inside the grafana-data volume).
    const mount = services.grafana?.volumes
      ?.filter((v) => home.startsWith(`${v.split(':')[1]}/`))
      .sort((a, b) => b.split(':')[1]!.length - a.split(':')[1]!.length)[0];
    expect(mount, home).toBeDefined();
    expect(existsSync(new URL(`${mount!.split(':')[0]}/${home.slice(mount!.split(':')[1]!.length + 1)}`, ROOT))).toBe(
      true,
    );
  });

  it('connects services by names and ports that exist', () => {
    const byName = (host: string) => services[host.split(':')[0]!];
    for (const name of ERRORSCOPE) {
      const ch = new URL(envOf(services[name]!).CLICKHOUSE_URL!);
      expect(byName(ch.hostname), name).toBe(services.clickhouse);
      expect(ch.port).toBe('8123');
      const chEnv = envOf(services.clickhouse!);
      expect(envOf(services[name]!).CLICKHOUSE_USER).toBe(chEnv.CLICKHOUSE_USER);
      expect(envOf(services[name]!).CLICKHOUSE_PASSWORD).toBe(chEnv.CLICKHOUSE_PASSWORD);
    }
    const kafka = envOf(services.kafka!);
    const broker = envOf(services.ingest!).KAFKA_BROKERS!;
    expect(byName(broker)).toBe(services.kafka);
    expect(kafka.KAFKA_ADVERTISED_LISTENERS).toContain(`PLAINTEXT://${broker}`);
    const listenerPort = (l: string, name: string) => new RegExp(`${name}://[^,]*:(\\d+)`).exec(l)?.[1];
    expect(listenerPort(kafka.KAFKA_LISTENERS!, 'PLAINTEXT')).toBe(broker.split(':')[1]);
    const hostPort = listenerPort(kafka.KAFKA_ADVERTISED_LISTENERS!, 'HOST');
    expect(listenerPort(kafka.KAFKA_LISTENERS!, 'HOST')).toBe(hostPort);
    expect(services.kafka?.ports).toContain(`${hostPort}:${hostPort}`);
    expect(kafka.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(
      `${kafka.KAFKA_NODE_ID}@kafka:${listenerPort(kafka.KAFKA_LISTENERS!, 'CONTROLLER')}`,
    );
    const apiPort = envOf(services.api!).PORT;
    expect(services.api?.ports).toContain(`${apiPort}:${apiPort}`);
    expect(services.api?.healthcheck?.test.join(' ')).toContain(`127.0.0.1:${apiPort}/ready`);
    expect(services.ingest?.healthcheck?.test.join(' ')).toContain(
      `127.0.0.1:${envOf(services.ingest!).METRICS_PORT}/healthz`,
    );
  });

  it('mounts paths of the repository and declares its named volumes', () => {
    const declared = Object.keys(compose.volumes ?? {});
    const used = new Set<string>();
    for (const [name, s] of Object.entries(services)) {
      for (const v of s.volumes ?? []) {
        const [source = '', target = ''] = v.split(':');
        expect(target.startsWith('/'), `${name}: ${v}`).toBe(true);
        if (source.startsWith('./')) expect(existsSync(new URL(source, ROOT)), `${name}: ${source}`).toBe(true);
        else {
          expect(declared, `${name}: ${source}`).toContain(source);
          used.add(source);
        }
      }
    }
    expect([...used].sort()).toEqual(declared.sort());
  });

  it('documents in its header every variable a user may set', () => {
    const header = composeText.split('\nname:')[0] ?? '';
    const vars = new Set([...composeText.matchAll(/\$\{(\w+)(?::[-?][^}]*)?\}/g)].map((m) => m[1]!));
    expect(vars.size).toBeGreaterThan(2);
    for (const v of vars) expect(header, v).toContain(v);
  });
});

function grafanaProvisioningEnv(): string[] {
  const names = loadProvisioningFiles()
    .filter((f) => f.path.startsWith('provisioning/'))
    // Rule query models are not expanded by Grafana (see errorscope-rules.yaml), the rest is.
    .flatMap((f) => provisioningEnvNames(JSON.stringify('groups' in f.content ? {} : f.content)));
  return [...new Set(names)].sort();
}

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const ignored = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it('builds on the newest Node LTS that package.json engines allows, with npm ci and the build script', () => {
    const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(froms.every((f) => f === 'node:24-slim')).toBe(true);
    const engines = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).engines.node;
    expect(engines).toBe('>=22');
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toMatch(/npm run build/);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.build).toBeDefined();
  });

  it('copies only paths that exist and that .dockerignore lets through', () => {
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    expect(sources.length).toBeGreaterThan(3);
    for (const s of sources) {
      expect(existsSync(new URL(s, ROOT)), s).toBe(true);
      expect(ignored, s).not.toContain(s);
    }
    // The build compiles what tsconfig.build.json includes.
    const build = JSON.parse(read('tsconfig.build.json')) as { include: string[] };
    for (const dir of build.include) expect(sources, dir).toContain(dir);
  });

  it('runs the CLI entry point as an unprivileged user', () => {
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^CMD \["node", "bin\/errorscope\.js", "serve"\]$/m);
  });
});
