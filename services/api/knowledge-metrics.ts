// /metrics as a view of what errorscope knows, not only of the API process: recent errors by provider,
// model, category and code, keys at a quota wall with their reset time, surge scores of watched codes
// per key. Read from ClickHouse (so several API replicas publish the same values) on scrape, through a
// short cache so a burst of scrapers costs one round of queries. Label sets are bounded: the top N are
// published, the rest summed into one `_other` series (or counted in errorscope_knowledge_omitted_series
// where a sum means nothing, like a reset time). Keys appear only as stored: fingerprints (fp_…) or
// non-secret ids, never raw keys.
import { Gauge, type Registry } from 'prom-client';
import { QUOTA_WALL_CODES } from '../core/taxonomy.js';
import { evaluateSurge } from '../query/surge.js';
import { queryKeyCodeCounts, queryWindowErrorKeys, queryWindowErrors } from '../store/knowledge.js';
import type { Querier } from '../store/querier.js';
import { queryQuotaWalls } from '../store/walls.js';

/** Watched codes: 1310 (the headline quota surge) and the per-key rate-limit codes. */
const SURGE_CODES = [
  '1310',
  '1302',
  '1303',
  '1313',
  '429',
  'rate_limit_exceeded',
  'rate_limit_error',
  'RESOURCE_EXHAUSTED',
];
export const OTHER = '_other';

export interface KnowledgeOptions {
  /** Windows of errorscope_errors / errorscope_error_keys (label `window`). */
  windows?: { label: string; ms: number }[];
  /** Most label sets published per metric (default 100). */
  topN?: number;
  /** How long one round of queries serves scrapes (default 15 s). */
  cacheMs?: number;
  surgeCodes?: string[];
  surgeWindowMs?: number;
  surgeBaselineMs?: number;
  wallCodes?: string[];
  wallLookbackMs?: number;
}

type Labels = Record<string, string>;
interface Sample {
  labels: Labels;
  value: number;
}

interface KnowledgeSnapshot {
  errors: Sample[];
  errorKeys: Sample[];
  walls: Sample[];
  wallCount: number;
  surgeScore: Sample[];
  surgeRatio: Sample[];
  surgeErrors: Sample[];
  omitted: Sample[];
}

/** The N first items, and how many were left out. */
function capTop<T>(items: readonly T[], n: number): { kept: T[]; omitted: number } {
  return { kept: items.slice(0, n), omitted: Math.max(0, items.length - n) };
}

const round = (x: number) => Math.round(x * 1000) / 1000;

async function readKnowledge(db: Querier, nowMs: number, opts: Required<KnowledgeOptions>): Promise<KnowledgeSnapshot> {
  const snap: KnowledgeSnapshot = {
    errors: [],
    errorKeys: [],
    walls: [],
    wallCount: 0,
    surgeScore: [],
    surgeRatio: [],
    surgeErrors: [],
    omitted: [],
  };
  const omitted = { errorscope_errors: 0, errorscope_error_keys: 0, errorscope_quota_wall: 0, errorscope_surge: 0 };
  for (const w of opts.windows) {
    const range = { fromMs: nowMs - w.ms, toMs: nowMs };
    const e = await queryWindowErrors(db, { ...range, limit: opts.topN });
    let kept = 0;
    for (const r of e.top) {
      const { errors, ...labels } = r;
      snap.errors.push({ labels: { window: w.label, ...labels }, value: Number(errors) });
      kept += Number(errors);
    }
    if (e.total > kept) {
      snap.errors.push({
        labels: { window: w.label, provider: OTHER, model: OTHER, category: OTHER, code: OTHER },
        value: e.total - kept,
      });
    }
    omitted.errorscope_errors += Math.max(0, e.groups - e.top.length);
    const keys = await queryWindowErrorKeys(db, { ...range, limit: opts.topN + 1 });
    const k = capTop(keys, opts.topN);
    omitted.errorscope_error_keys += k.omitted;
    for (const r of k.kept)
      snap.errorKeys.push({
        labels: { window: w.label, provider: r.provider, category: r.category, code: r.code },
        value: Number(r.keys),
      });
  }

  const walls = await queryQuotaWalls(db, {
    by: 'key',
    from: nowMs - opts.wallLookbackMs,
    now: nowMs,
    codes: opts.wallCodes,
    filters: [],
    limit: 10_000,
  });
  snap.wallCount = walls.length;
  // The longest-blocked keys first (the API's order); a reset time cannot be summed, so the rest are counted.
  const w = capTop(walls, opts.topN);
  omitted.errorscope_quota_wall = w.omitted;
  for (const r of w.kept) {
    snap.walls.push({
      labels: { key: r.key, tenant: r.tenant, provider: r.provider, code: r.code },
      // 0 = the provider did not say when the limit resets (1113 arrears, for instance).
      value: r.reset_at === null ? 0 : r.reset_at / 1000,
    });
  }

  const counts = await queryKeyCodeCounts(db, {
    toMs: nowMs,
    windowMs: opts.surgeWindowMs,
    baselineMs: opts.surgeBaselineMs,
    codes: opts.surgeCodes,
  });
  const scored = counts
    .map((r) => ({
      labels: { key: r.key, code: r.code },
      count: Number(r.count),
      s: evaluateSurge(
        {
          count: Number(r.count),
          baselineCount: Number(r.baseline_count),
          windowMs: opts.surgeWindowMs,
          baselineMs: opts.surgeBaselineMs,
        },
        { minCount: 0, ratio: 0 },
      ),
    }))
    .sort((a, b) => b.s.score - a.s.score || b.count - a.count);
  const s = capTop(scored, opts.topN);
  omitted.errorscope_surge = s.omitted;
  for (const r of s.kept) {
    snap.surgeScore.push({ labels: r.labels, value: round(r.s.score) });
    snap.surgeRatio.push({ labels: r.labels, value: round(r.s.ratio) });
    snap.surgeErrors.push({ labels: r.labels, value: r.count });
  }
  snap.omitted = Object.entries(omitted).map(([metric, value]) => ({ labels: { metric }, value }));
  return snap;
}

function defaultKnowledgeOptions(o: KnowledgeOptions = {}): Required<KnowledgeOptions> {
  return {
    windows: o.windows ?? [
      { label: '5m', ms: 5 * 60_000 },
      { label: '1h', ms: 3_600_000 },
    ],
    topN: o.topN ?? 100,
    cacheMs: o.cacheMs ?? 15_000,
    surgeCodes: o.surgeCodes ?? SURGE_CODES,
    surgeWindowMs: o.surgeWindowMs ?? 15 * 60_000,
    surgeBaselineMs: o.surgeBaselineMs ?? 24 * 3_600_000,
    wallCodes: o.wallCodes ?? [...QUOTA_WALL_CODES],
    wallLookbackMs: o.wallLookbackMs ?? 6 * 3_600_000,
  };
}

/**
 * Registers the knowledge gauges. A failed read publishes errorscope_knowledge_up 0 and no knowledge
 * series (the process metrics still answer); it is logged and retried on the next scrape.
 */
export function registerKnowledgeMetrics(
  registry: Registry,
  deps: {
    db: Querier;
    now: () => number;
    logger: { error(obj: object, msg: string): void };
    options?: KnowledgeOptions;
  },
): void {
  const opts = defaultKnowledgeOptions(deps.options);
  let cached: { at: number; snap: Promise<KnowledgeSnapshot | null> } | null = null;
  const snapshot = (): Promise<KnowledgeSnapshot | null> => {
    const t = performance.now();
    if (cached && t - cached.at < opts.cacheMs) return cached.snap;
    const snap = readKnowledge(deps.db, deps.now(), opts).catch((err) => {
      deps.logger.error({ err }, 'metrics: reading what errorscope knows from ClickHouse failed');
      cached = null;
      return null;
    });
    cached = { at: t, snap };
    return snap;
  };
  const gauge = (name: string, help: string, labelNames: string[], pick: (s: KnowledgeSnapshot) => Sample[]) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        const s = await snapshot();
        if (!s) return;
        for (const x of pick(s)) this.set(x.labels, x.value);
      },
    });
  new Gauge({
    name: 'errorscope_knowledge_up',
    help: '1 when the knowledge metrics below could be read from ClickHouse at this scrape, else 0',
    registers: [registry],
    async collect() {
      this.set((await snapshot()) ? 1 : 0);
    },
  });
  gauge(
    'errorscope_errors',
    `Failed calls in the last window (from the 1m rollup), top ${opts.topN} label sets, the rest summed in provider="${OTHER}"`,
    ['window', 'provider', 'model', 'category', 'code'],
    (s) => s.errors,
  );
  gauge(
    'errorscope_error_keys',
    'Distinct keys with at least one failed call in the last window, by provider, category and code',
    ['window', 'provider', 'category', 'code'],
    (s) => s.errorKeys,
  );
  gauge(
    'errorscope_quota_wall_reset_timestamp_seconds',
    'Keys at a quota wall (latest calls all fail with a quota code): when the provider says the limit resets, 0 if unknown',
    ['key', 'tenant', 'provider', 'code'],
    (s) => s.walls,
  );
  gauge('errorscope_quota_walls', 'Number of keys at a quota wall (all of them, also those beyond top N)', [], (s) => [
    { labels: {}, value: s.wallCount },
  ]);
  gauge(
    'errorscope_surge_score',
    'Per key and watched code: Poisson z-score of the last 15m against the 24h baseline before it',
    ['key', 'code'],
    (s) => s.surgeScore,
  );
  gauge(
    'errorscope_surge_ratio',
    'Per key and watched code: errors in the last 15m over the count the 24h baseline expects (floor 1)',
    ['key', 'code'],
    (s) => s.surgeRatio,
  );
  gauge(
    'errorscope_surge_window_errors',
    'Per key and watched code: errors in the last 15m',
    ['key', 'code'],
    (s) => s.surgeErrors,
  );
  gauge(
    'errorscope_knowledge_omitted_series',
    'Label sets left out of a knowledge metric by the top-N bound',
    ['metric'],
    (s) => s.omitted,
  );
}
