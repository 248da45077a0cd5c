// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Grafana writes its macros as ${name}.
// What the real Infinity backend (v3.11) did when it was run once against this API with the
// provisioned data source and all 8 alert-rule queries. The emulation in test/helpers/infinity.ts
// must keep matching it; each observed behaviour is pinned here on a query of the shipped rules.
import { describe, expect, it } from 'vitest';
import {
  buildRequestUrl,
  frameToNumberSet,
  type InfinityQuery,
  loadAlertRules,
  parseBackendResponse,
  resolveBackendQuery,
} from '../helpers/infinity.js';

const rules = loadAlertRules();
const surgeRule = rules.find((r) => r.uid === 'errorscope-1310-surge')!;
const surgeQuery = surgeRule.data.find((d) => d.refId === 'A')!.model as unknown as InfinityQuery;
const TO_MS = Date.UTC(2026, 5, 1, 12, 0, 0); // 2026-06-01T12:00:00Z
const FROM_MS = TO_MS - 900_000;

describe('observed on the real Infinity v3.11 backend', () => {
  it('the rule queries the real backend was run against are all still there (8 data queries over 4 rules)', () => {
    const observed = [
      'errorscope-1310-surge',
      'errorscope-quota-wall',
      'errorscope-rate-limit-spike',
      'errorscope-provider-overload',
    ];
    const data = rules
      .filter((r) => observed.includes(r.uid))
      .flatMap((r) => r.data.filter((d) => d.datasourceUid !== '__expr__' && d.refId !== 'I'));
    // The overload rule's incidents query (refId I) came later; it goes through the same emulation.
    expect(data).toHaveLength(8);
  });

  it('${__to} becomes epoch milliseconds', () => {
    const resolved = resolveBackendQuery(surgeQuery, FROM_MS, TO_MS, 0);
    const to = resolved.url_options?.params?.find((p) => p.key === 'to');
    expect(to?.value).toBe('1780315200000');
    expect(Number(to?.value)).toBe(TO_MS);
  });

  it('query parameters are sent sorted by name, whatever order the file lists them in', () => {
    const listed = surgeQuery.url_options!.params!.map((p) => p.key);
    expect(listed).not.toEqual([...listed].sort()); // the file's order is not already sorted
    const url = buildRequestUrl(resolveBackendQuery(surgeQuery, FROM_MS, TO_MS, 0), 'http://api:8080');
    expect([...url.searchParams.keys()]).toEqual(['baseline', 'by', 'codes', 'min_count', 'ratio', 'to', 'window']);
    expect(url.search).toBe('?baseline=24h&by=key&codes=1310&min_count=5&ratio=3&to=1780315200000&window=15m');
  });

  it('columns come out in alphabetical order of their names, not the order declared or answered', () => {
    const query: InfinityQuery = {
      ...surgeQuery,
      columns: [
        { selector: 'surging', text: 'surging', type: 'number' },
        { selector: 'key', text: 'key', type: 'string' },
        { selector: 'count', text: 'count', type: 'number' },
      ],
    };
    const frame = parseBackendResponse({ rows: [{ surging: 1, count: 12, key: 'fp_a' }] }, query);
    expect(frame.fields.map((f) => f.name)).toEqual(['count', 'key', 'surging']);
    expect(frame.fields.map((f) => f.values[0])).toEqual([12, 'fp_a', 1]);
  });

  it('{"rows":[]} becomes a frame with no fields, which alerting reads as no data', () => {
    const frame = parseBackendResponse({ rows: [] }, surgeQuery);
    expect(frame.fields).toEqual([]);
    expect(frameToNumberSet(frame).kind).toBe('nodata');
    // ...and the rule maps no data to OK, so a quiet system does not page.
    expect(surgeRule.noDataState).toBe('OK');
  });
});
