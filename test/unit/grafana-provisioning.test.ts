// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Grafana writes its macros and variables as ${name}.
// Static checks of everything under dashboards/: each file has the shape Grafana expects (JSON
// schemas written from Grafana's and the Infinity plugin's docs and sources, test/schemas/), and the
// cross-file facts Grafana only reports at runtime (a wrong uid, a variable without :csv, an alert
// query Grafana cannot turn into numbers, a template reading a value that does not exist).
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import {
  type AlertRule,
  type Dashboard,
  dashboardQueries,
  expandProvisioningEnv,
  type InfinityQuery,
  interpolateBackendMacros,
  loadAlertRules,
  loadDashboards,
  loadProvisioningFiles,
  mathVariables,
  parseDuration,
  provisioningEnvNames,
  resolveDashboardQuery,
  unresolvedVariables,
} from '../helpers/infinity.js';

const SCHEMA_DIR = new URL('../schemas/', import.meta.url);
const ajv = new Ajv({ allErrors: true, strict: false });
for (const name of readdirSync(SCHEMA_DIR)) {
  ajv.addSchema(JSON.parse(readFileSync(new URL(name, SCHEMA_DIR), 'utf8')));
}

const files = loadProvisioningFiles();
const dashboards = loadDashboards();
const rules = loadAlertRules();
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML/JSON, its shape is what the schemas check.
type Loose = any;
const byPath = (p: string): Loose => {
  const f = files.find((x) => x.path === p);
  if (!f) throw new Error(`missing dashboards/${p}`);
  return f.content;
};

/** Which schema each file must match. */
function schemaFor(path: string, content: Record<string, unknown>): string {
  if (path.startsWith('json/')) return 'dashboard.schema.json';
  if (path.startsWith('provisioning/datasources/')) return 'datasource-provisioning.schema.json';
  if (path.startsWith('provisioning/dashboards/')) return 'dashboard-provider.schema.json';
  if ('groups' in content) return 'alert-rules.schema.json';
  if ('contactPoints' in content) return 'contact-points.schema.json';
  if ('policies' in content) return 'policies.schema.json';
  if ('templates' in content) return 'templates.schema.json';
  throw new Error(`no schema for dashboards/${path}`);
}

/** The API routes of the contract (notes/API.md) a Grafana query may call. */
const API_PATHS = [
  /^\/api\/v1\/series$/,
  /^\/api\/v1\/top$/,
  /^\/api\/v1\/surges$/,
  /^\/api\/v1\/quota-walls$/,
  /^\/api\/v1\/samples$/,
  /^\/api\/v1\/taxonomy$/,
  /^\/api\/v1\/unknown-codes$/,
  /^\/api\/v1\/retry-waste$/,
  /^\/api\/v1\/incidents$/,
  /^\/api\/v1\/drift$/,
  /^\/api\/v1\/quota-walls\/calendar$/,
  /^\/api\/v1\/quota-walls\/timeline$/,
  /^\/api\/v1\/values\/(provider|model|key|tenant|category|code|http_status)$/,
];

/** What Grafana's environment provides in docker-compose.yml (the compose test checks that side). */
const GRAFANA_ENV = {
  ERRORSCOPE_API_URL: 'http://api:8080',
  ERRORSCOPE_API_TOKEN: 'tok',
  ALERT_WEBHOOK_URL: 'http://hook/x',
  WALL_WEBHOOK_URL: 'http://walls/x',
};

describe('every file has the shape Grafana expects', () => {
  it('finds the files', () => {
    expect(files.map((f) => f.path)).toEqual(
      expect.arrayContaining([
        'provisioning/datasources/errorscope.yaml',
        'provisioning/dashboards/errorscope.yaml',
        'provisioning/alerting/errorscope-rules.yaml',
        'provisioning/alerting/errorscope-contact-points.yaml',
        'provisioning/alerting/errorscope-templates.yaml',
        'json/errorscope-overview.json',
        'json/errorscope-quota.json',
        'json/errorscope-drilldown.json',
      ]),
    );
  });

  it.each(files.map((f) => [f.path, f] as const))('%s matches its schema', (_p, f) => {
    const validate = ajv.getSchema(schemaFor(f.path, f.content));
    expect(validate).toBeDefined();
    const ok = validate!(f.content);
    expect(validate!.errors ?? [], JSON.stringify(validate!.errors, null, 1)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schemas are not vacuous: broken files are rejected', () => {
    const dash: Loose = structuredClone(dashboards[0]!);
    dash.panels[0].targets[0].parser = 'simple';
    expect(ajv.getSchema('dashboard.schema.json')!(dash)).toBe(false);
    const rulesFile = structuredClone(byPath('provisioning/alerting/errorscope-rules.yaml'));
    rulesFile.groups[0].rules[0].noDataState = 'Quiet';
    expect(ajv.getSchema('alert-rules.schema.json')!(rulesFile)).toBe(false);
    const ds = structuredClone(byPath('provisioning/datasources/errorscope.yaml'));
    delete ds.datasources[0].secureJsonData;
    expect(ajv.getSchema('datasource-provisioning.schema.json')!(ds)).toBe(false);
    ds.datasources[0].secureJsonData = { bearertoken: 'x' };
    expect(ajv.getSchema('datasource-provisioning.schema.json')!(ds)).toBe(false);
  });
});

describe('data source', () => {
  const ds = byPath('provisioning/datasources/errorscope.yaml').datasources[0];

  it('is the Infinity plugin with a fixed uid, bearer auth from the environment, token only sent to the API', () => {
    expect(ds.type).toBe('yesoreyeram-infinity-datasource');
    expect(ds.uid).toBe('errorscope-api');
    expect(ds.jsonData.auth_method).toBe('bearerToken');
    const expand = (v: string) => expandProvisioningEnv(v, GRAFANA_ENV);
    expect(expand(ds.secureJsonData.bearerToken)).toBe('tok');
    expect(expand(ds.url)).toBe('http://api:8080');
    expect(ds.jsonData.allowedHosts.map(expand)).toEqual(['http://api:8080']);
  });

  it('is never the default data source (safe beside the data sources of an existing Grafana)', () => {
    expect(ds.isDefault).toBe(false);
  });

  it('reads only variables the Grafana container gets', () => {
    const names = provisioningEnvNames(JSON.stringify(ds));
    expect(new Set(names)).toEqual(new Set(['ERRORSCOPE_API_URL', 'ERRORSCOPE_API_TOKEN']));
  });
});

describe('dashboards', () => {
  const provider = byPath('provisioning/dashboards/errorscope.yaml').providers[0];

  it('are loaded from the directory docker-compose mounts', () => {
    const compose = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8');
    expect(compose).toContain(`./dashboards/json:${provider.options.path}:ro`);
    expect(compose).toContain('./dashboards/provisioning:/etc/grafana/provisioning:ro');
  });

  it('have unique uids, and the three views the team reads', () => {
    const uids = dashboards.map((d) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
    expect(uids.sort()).toEqual(['errorscope-drilldown', 'errorscope-overview', 'errorscope-quota']);
  });

  it.each(dashboards.map((d) => [d.uid, d] as const))(
    '%s: data source through the $ds variable defaulting to the provisioned uid',
    (_u, d) => {
      const dsVar = d.templating.list.find((v) => v.name === 'ds');
      expect(dsVar?.type).toBe('datasource');
      expect(dsVar?.query).toBe('yesoreyeram-infinity-datasource');
      expect(dsVar?.current?.value).toBe('errorscope-api');
      const refs = [
        ...d.panels.map((p) => p.datasource),
        ...d.panels.flatMap((p) => p.targets.map((t) => (t as unknown as { datasource: unknown }).datasource)),
        ...d.templating.list.filter((v) => v.type === 'query').map((v) => v.datasource),
      ];
      expect(refs.length).toBeGreaterThan(3);
      for (const r of refs) expect(r).toEqual({ type: 'yesoreyeram-infinity-datasource', uid: '${ds}' });
    },
  );

  it.each(dashboards.map((d) => [d.uid, d] as const))(
    '%s: provider, model, key, tenant variables from /api/v1/values (multi, All = *)',
    (_u, d) => {
      for (const name of ['provider', 'model', 'key', 'tenant']) {
        const v = d.templating.list.find((x) => x.name === name);
        expect(v, name).toBeDefined();
        expect(v?.type).toBe('query');
        expect(v?.multi).toBe(true);
        expect(v?.includeAll).toBe(true);
        expect(v?.allValue).toBe('*');
        const iq = (v?.query as { infinityQuery?: InfinityQuery } | undefined)?.infinityQuery;
        expect(iq?.url).toBe(`/api/v1/values/${name}`);
        expect(iq?.columns).toEqual([{ selector: 'value', text: 'value', type: 'string' }]);
      }
    },
  );

  it.each(dashboards.map((d) => [d.uid, d] as const))(
    '%s: panels have unique ids and do not overlap on the grid',
    (_u, d) => {
      const ids = d.panels.map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      const cells = new Set<string>();
      for (const p of d.panels) {
        const g = p.gridPos as { x: number; y: number; w: number; h: number };
        expect(g.x + g.w, p.title).toBeLessThanOrEqual(24);
        for (let x = g.x; x < g.x + g.w; x++) {
          for (let y = g.y; y < g.y + g.h; y++) {
            const cell = `${x},${y}`;
            expect(cells.has(cell), `${p.title} overlaps at ${cell}`).toBe(false);
            cells.add(cell);
          }
        }
      }
    },
  );

  const queries = dashboards.flatMap((d) => dashboardQueries(d).map((q) => ({ ...q, dashboard: d })));

  it.each(queries.map((q) => [q.where, q] as const))(
    '%s: a contract route, named columns, every variable resolvable',
    (_w, { query, dashboard }) => {
      expect(API_PATHS.some((re) => re.test(query.url))).toBe(true);
      const names = query.columns.map((c) => c.selector);
      expect(new Set(names).size).toBe(names.length);
      // The framer only keeps a renamed column when text equals selector (see helpers/infinity.ts).
      for (const c of query.columns) expect(c.text).toBe(c.selector);
      if (query.format === 'timeseries') {
        expect(query.columns.filter((c) => c.type === 'timestamp_epoch').map((c) => c.selector)).toEqual(['time']);
      }
      // Resolve with "All" and with two selected values: nothing may stay unresolved.
      const list = (dashboard as Dashboard).templating.list.filter((v) => v.type !== 'datasource');
      for (const selected of [['$__all'], ['a', 'b']]) {
        const variables = Object.fromEntries(
          list.map((v) => [
            v.name,
            v.type === 'textbox'
              ? { value: ['1310'] }
              : { value: selected, allValue: v.allValue ?? null, options: ['x', 'y'] },
          ]),
        );
        const ctx = { fromMs: 1_000, toMs: 21_601_000, intervalMs: 20_000, variables };
        const resolved = resolveDashboardQuery(query, ctx);
        const text = [resolved.url, ...(resolved.url_options?.params ?? []).map((p) => p.value)].join(' ');
        expect(unresolvedVariables(text)).toEqual([]);
      }
    },
  );

  it('every multi-value filter is sent as :csv and every series query follows $__interval', () => {
    for (const { where, query } of queries) {
      for (const p of query.url_options?.params ?? []) {
        for (const m of p.value.matchAll(/\$\{(provider|model|key|tenant|category)(:\w+)?\}/g)) {
          expect(m[2], `${where} ${p.key}`).toBe(':csv');
        }
      }
      if (query.url === '/api/v1/series') {
        expect(query.url_options?.params, where).toContainEqual({ key: 'step', value: '${__interval}' });
      }
    }
  });
});

describe('alert rules', () => {
  const exprTypes = (r: AlertRule) =>
    new Set(r.data.filter((q) => q.datasourceUid === '__expr__').map((q) => q.model.type));

  it('cover the situations a person acts on', () => {
    expect(rules.map((r) => r.uid).sort()).toEqual([
      'errorscope-1310-surge',
      'errorscope-provider-overload',
      'errorscope-quota-wall',
      'errorscope-rate-limit-spike',
      'errorscope-retry-waste',
      'errorscope-wall-pause',
      'errorscope-wording-drift',
    ]);
    const all = new Set(rules.flatMap((r) => [...exprTypes(r)]));
    expect(all).toEqual(new Set(['reduce', 'math', 'threshold']));
  });

  it.each(rules.map((r) => [r.uid, r] as const))('%s: well-formed graph of queries and expressions', (_u, r) => {
    const refs = new Set(r.data.map((q) => q.refId));
    expect(refs.size).toBe(r.data.length);
    expect(refs.has(r.condition)).toBe(true);
    for (const q of r.data) {
      if (q.datasourceUid === '__expr__') {
        const m = q.model as { type: string; expression: string };
        const reads = m.type === 'math' ? mathVariables(m.expression) : [m.expression];
        for (const v of reads) expect(refs.has(v), `${q.refId} reads ${v}`).toBe(true);
      } else {
        expect(q.datasourceUid).toBe('errorscope-api');
      }
    }
  });

  it.each(rules.map((r) => [r.uid, r] as const))('%s: data queries Grafana can alert on', (_u, r) => {
    for (const q of r.data.filter((x) => x.datasourceUid !== '__expr__')) {
      const m = q.model as unknown as InfinityQuery;
      expect(m.parser).toBe('backend');
      expect(m.format).toBe('table');
      // Only what the Infinity backend expands by itself (no dashboard variables, no $__interval).
      const text = [m.url, ...(m.url_options?.params ?? []).map((p) => p.value)].join(' ');
      expect(unresolvedVariables(interpolateBackendMacros(text, 1, 2, 0))).toEqual([]);
      // One number column, the rest strings: Grafana's number-set conversion.
      expect(m.columns.filter((c) => c.type === 'number')).toHaveLength(1);
      expect(m.columns.filter((c) => c.type !== 'number' && c.type !== 'string')).toEqual([]);
      for (const c of m.columns) expect(c.text).toBe(c.selector);
    }
  });

  it.each(rules.map((r) => [r.uid, r] as const))(
    '%s: does not flap, says what to do, links to the dashboard',
    (_u, r) => {
      expect(parseDuration(r.for)).toBeGreaterThan(0);
      expect(parseDuration(r.keepFiringFor)).toBeGreaterThan(0);
      expect(r.noDataState).toBe('OK');
      expect(Object.keys(r.labels ?? {})).toEqual(expect.arrayContaining(['severity', 'category']));
      expect(['critical', 'warning']).toContain(r.labels?.severity);
      expect(r.annotations?.summary).toBeTruthy();
      expect(r.annotations?.description).toBeTruthy();
      const link = r.annotations?.dashboard ?? '';
      const uid = /^\/d\/([\w-]+)\//.exec(link)?.[1];
      expect(dashboards.map((d) => d.uid)).toContain(uid);
    },
  );

  it.each(rules.map((r) => [r.uid, r] as const))(
    '%s: annotation templates read values and labels that exist',
    (_u, r) => {
      const text = Object.values(r.annotations ?? {}).join('\n');
      // Grafana expands braced ${VAR} in annotations from its environment: there must be none.
      expect(text).not.toContain('${');
      const exprRefs = new Set(r.data.filter((q) => q.datasourceUid === '__expr__').map((q) => q.refId));
      for (const m of text.matchAll(/\$values\.(\w+)\.Value/g)) expect(exprRefs.has(m[1]!), m[0]).toBe(true);
      const labelNames = new Set([
        ...Object.keys(r.labels ?? {}),
        ...r.data
          .filter((q) => q.datasourceUid !== '__expr__')
          .flatMap((q) =>
            (q.model as unknown as InfinityQuery).columns.filter((c) => c.type === 'string').map((c) => c.selector),
          ),
      ]);
      for (const m of text.matchAll(/\$labels\.(\w+)/g)) expect(labelNames.has(m[1]!), m[0]).toBe(true);
      // Static rule labels must not collide with labels coming from the query columns.
      const queryLabels = r.data
        .filter((q) => q.datasourceUid !== '__expr__')
        .flatMap((q) =>
          (q.model as unknown as InfinityQuery).columns.filter((c) => c.type === 'string').map((c) => c.selector),
        );
      for (const l of Object.keys(r.labels ?? {})) expect(queryLabels).not.toContain(l);
    },
  );

  it('per-key rules leave the overload codes to the provider-wide rule', () => {
    const codes = (uid: string) =>
      rules
        .find((r) => r.uid === uid)!
        .data.filter((q) => q.datasourceUid !== '__expr__')
        .flatMap((q) =>
          ((q.model as unknown as InfinityQuery).url_options?.params ?? []).filter((p) => p.key === 'codes'),
        )
        .flatMap((p) => p.value.split(','));
    const overload = new Set(codes('errorscope-provider-overload'));
    expect(overload).toEqual(new Set(['1305', '1312', '529']));
    for (const uid of [
      'errorscope-1310-surge',
      'errorscope-rate-limit-spike',
      'errorscope-quota-wall',
      'errorscope-retry-waste',
    ]) {
      for (const c of codes(uid)) expect(overload.has(c), `${uid} counts ${c}`).toBe(false);
    }
  });
});

describe('notifications', () => {
  const cp = byPath('provisioning/alerting/errorscope-contact-points.yaml').contactPoints[0];
  const templates: string = byPath('provisioning/alerting/errorscope-templates.yaml').templates[0].template;

  it('the webhook URL comes from ALERT_WEBHOOK_URL', () => {
    expect(expandProvisioningEnv(cp.receivers[0].settings.url, GRAFANA_ENV)).toBe('http://hook/x');
    expect(provisioningEnvNames(JSON.stringify(cp))).toEqual(['ALERT_WEBHOOK_URL']);
  });

  it('never replaces the organisation policy tree: no policies file, every rule routes itself', () => {
    expect(files.filter((f) => 'policies' in f.content).map((f) => f.path)).toEqual([]);
    const all = byPath('provisioning/alerting/errorscope-contact-points.yaml').contactPoints as { name: string }[];
    const receivers = new Set(all.map((c) => c.name));
    for (const r of rules) {
      const ns = (r as Loose).notification_settings;
      // Walls to pause go to automation (their own contact point), every other alert to the webhook.
      expect(ns?.receiver, r.uid).toBe(r.labels?.action === 'pause' ? 'errorscope-walls' : cp.name);
      expect(receivers.has(ns.receiver), r.uid).toBe(true);
      // Grafana refuses a group_by override without these two labels.
      expect(ns.group_by, r.uid).toEqual(expect.arrayContaining(['alertname', 'grafana_folder']));
      // Per-key rules notify per key; provider-level rules (overload, drift) per provider.
      expect(ns.group_by, r.uid).toEqual(expect.arrayContaining([r.labels?.action === 'pause' ? 'key' : 'provider']));
    }
  });

  it('critical alerts are sent sooner and repeated more often than warnings', () => {
    // Wall pauses are for automation: at once, again every 15 minutes while the wall lasts.
    const byUid = (sev: string) =>
      rules
        .filter((r) => r.labels?.severity === sev && r.labels?.action !== 'pause')
        .map((r) => (r as Loose).notification_settings);
    for (const r of rules.filter((x) => x.labels?.action === 'pause')) {
      const ns = (r as Loose).notification_settings;
      expect([ns.group_wait, ns.repeat_interval], r.uid).toEqual(['0s', '15m']);
    }
    for (const ns of byUid('critical')) expect([ns.group_wait, ns.repeat_interval]).toEqual(['10s', '1h']);
    for (const ns of byUid('warning')) expect([ns.group_wait, ns.repeat_interval]).toEqual(['30s', '4h']);
    const pauses = rules.filter((r) => r.labels?.action === 'pause').length;
    expect(byUid('critical').length + byUid('warning').length + pauses).toBe(rules.length);
  });

  it('the templates the contact point uses are defined, and balanced', () => {
    const defined = new Set([...templates.matchAll(/\{\{-?\s*define\s+"([^"]+)"/g)].map((m) => m[1]));
    for (const m of JSON.stringify(cp).matchAll(/template \\"([^"\\]+)\\"/g)) expect(defined.has(m[1]!)).toBe(true);
    const opens = [...templates.matchAll(/\{\{-?\s*(define|if|range|with)\b/g)].length;
    const ends = [...templates.matchAll(/\{\{-?\s*end\s*-?\}\}/g)].length;
    expect(ends).toBe(opens);
  });
});
