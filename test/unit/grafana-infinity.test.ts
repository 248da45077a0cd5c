// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Grafana writes its macros and variables as ${name}.
// The Grafana / Infinity emulation (test/helpers/infinity.ts) on hand-made responses: the live
// tests trust it to turn API answers into frames and alert states the way Grafana would.
import { describe, expect, it } from 'vitest';
import {
  AlertStateMachine,
  buildRequestUrl,
  calculateIntervalMs,
  ExpressionError,
  formatInterval,
  frameToNumberSet,
  goFormatFloat,
  type InfinityQuery,
  InterpolationError,
  interpolateBackendMacros,
  interpolateFrontend,
  longToWide,
  math,
  type NumberSet,
  parseBackendResponse,
  parseDuration,
  postProcess,
  reduce,
  threshold,
  timeSeriesSchema,
  unresolvedVariables,
} from '../helpers/infinity.js';

const q = (columns: [string, string][], root = 'rows'): Pick<InfinityQuery, 'refId' | 'root_selector' | 'columns'> => ({
  refId: 'A',
  root_selector: root,
  columns: columns.map(([selector, type]) => ({ selector, text: selector, type })),
});

const nums = (items: [Record<string, string>, number][]): NumberSet => ({
  kind: 'numbers',
  items: items.map(([labels, value]) => ({ labels, value })),
});

describe('backend parser', () => {
  it('selects the root, types the columns and orders fields alphabetically', () => {
    const body = {
      resolution: '1m',
      rows: [
        { time: 1_700_000_000_000, code: '1310', errors: 3, extra: 'ignored' },
        { time: 1_700_000_060_000, code: '1308', errors: 0 },
      ],
    };
    const frame = parseBackendResponse(
      body,
      q([
        ['time', 'timestamp_epoch'],
        ['errors', 'number'],
        ['code', 'string'],
      ]),
    );
    expect(frame.fields.map((f) => [f.name, f.type])).toEqual([
      ['code', 'string'],
      ['errors', 'number'],
      ['time', 'time'],
    ]);
    expect(frame.fields[1]?.values).toEqual([3, 0]);
    expect(frame.fields[2]?.values).toEqual([1_700_000_000_000, 1_700_000_060_000]);
  });

  it.each([
    ['number from a numeric string', 'number', '42', 42],
    ['number from garbage', 'number', 'x', null],
    ['number from a boolean', 'number', true, null],
    ['string from a big number (Go %v)', 'string', 1_000_000, '1e+06'],
    ['string from a small integer', 'string', 1310, '1310'],
    ['string from a boolean', 'string', false, 'false'],
    ['string from null', 'string', null, null],
    ['epoch ms from a float', 'timestamp_epoch', 1_700_000_000_123.9, 1_700_000_000_123],
    ['epoch ms from a string', 'timestamp_epoch', '1700000000000', 1_700_000_000_000],
    ['epoch ms from null', 'timestamp_epoch', null, null],
    ['boolean from "true"', 'boolean', 'true', true],
    ['boolean from "false" is null (gframer only sets true)', 'boolean', 'false', null],
  ])('converts %s', (_name, type, input, expected) => {
    const frame = parseBackendResponse({ rows: [{ v: input }] }, q([['v', type]]));
    expect(frame.fields[0]?.values).toEqual([expected]);
  });

  it('yields a frame without fields for no rows or a missing root', () => {
    expect(parseBackendResponse({ rows: [] }, q([['v', 'number']])).fields).toEqual([]);
    expect(parseBackendResponse({ data: [{ v: 1 }] }, q([['v', 'number']])).fields).toEqual([]);
  });

  it('keeps a selector that matches nothing as a null column (a typo shows up as all nulls)', () => {
    const frame = parseBackendResponse({ rows: [{ count: 1 }] }, q([['cuont', 'number']]));
    expect(frame.fields).toEqual([{ name: 'cuont', type: 'number', values: [null] }]);
  });

  it('drops a column renamed with text != selector (the framer matches selectors after renaming)', () => {
    const frame = parseBackendResponse(
      { rows: [{ count: 1, key: 'k' }] },
      {
        refId: 'A',
        root_selector: 'rows',
        columns: [
          { selector: 'count', text: 'Errors', type: 'number' },
          { selector: 'key', text: 'key', type: 'string' },
        ],
      },
    );
    expect(frame.fields.map((f) => f.name)).toEqual(['key']);
  });

  it('formats Go floats like %v', () => {
    expect([0.5, 123456, 1e6, 1234567, 0.0001, 0.00001].map(goFormatFloat)).toEqual([
      '0.5',
      '123456',
      '1e+06',
      '1.234567e+06',
      '0.0001',
      '1e-05',
    ]);
  });
});

describe('long to wide (format: timeseries)', () => {
  const long = parseBackendResponse(
    {
      rows: [
        { time: 1000, code: 'a', errors: 1 },
        { time: 1000, code: 'b', errors: 2 },
        { time: 2000, code: 'a', errors: 3 },
      ],
    },
    q([
      ['time', 'timestamp_epoch'],
      ['code', 'string'],
      ['errors', 'number'],
    ]),
  );

  it('makes one labelled field per series and fills gaps with null', () => {
    expect(timeSeriesSchema(long)).toBe('long');
    const wide = longToWide(long);
    expect(timeSeriesSchema(wide)).toBe('wide');
    expect(wide.fields).toEqual([
      { name: 'time', type: 'time', values: [1000, 2000] },
      { name: 'errors', type: 'number', values: [1, 3], labels: { code: 'a' } },
      { name: 'errors', type: 'number', values: [2, null], labels: { code: 'b' } },
    ]);
  });

  it('refuses rows out of time order (Grafana then shows the long frame)', () => {
    const unsorted = parseBackendResponse(
      {
        rows: [
          { time: 2000, code: 'a', errors: 1 },
          { time: 1000, code: 'a', errors: 2 },
        ],
      },
      q([
        ['time', 'timestamp_epoch'],
        ['code', 'string'],
        ['errors', 'number'],
      ]),
    );
    const r = postProcess(unsorted, 'timeseries');
    expect(r.error).toMatch(/sorted ascending/);
    expect(timeSeriesSchema(r.frame)).toBe('long');
  });

  it('leaves tables alone', () => {
    expect(postProcess(long, 'table').frame).toBe(long);
  });
});

describe('frontend interpolation', () => {
  const ctx = {
    fromMs: 1_000,
    toMs: 3_601_000,
    intervalMs: 5_000,
    variables: {
      provider: { value: ['$__all'], allValue: '*', options: ['zhipu', 'openai'] },
      model: { value: ['$__all'], allValue: null, options: ['glm-4', 'glm-4.5'] },
      key: { value: ['fp_a', 'fp_b'] },
      tenant: { value: ['t1'] },
    },
  };

  it('expands time macros, $__interval and variables with :csv', () => {
    expect(interpolateFrontend('${__from}|${__to}|${__interval}|${__from:date:iso}', ctx)).toBe(
      '1000|3601000|5s|1970-01-01T00:00:01.000Z',
    );
    expect(interpolateFrontend('${provider:csv}|${model:csv}|${key:csv}|$tenant|[[tenant]]', ctx)).toBe(
      '*|glm-4,glm-4.5|fp_a,fp_b|t1|t1',
    );
  });

  it('refuses a multi-value variable without a format', () => {
    expect(() => interpolateFrontend('${key}', ctx)).toThrow(InterpolationError);
  });

  it('leaves unknown variables for unresolvedVariables to report', () => {
    const out = interpolateFrontend('a=${nope:csv}&b=$other', ctx);
    expect(unresolvedVariables(out)).toEqual(['${nope:csv}', '$other']);
  });

  it('computes $__interval the way Grafana rounds it', () => {
    expect(formatInterval(calculateIntervalMs(0, 3_600_000))).toBe('5s');
    expect(formatInterval(calculateIntervalMs(0, 6 * 3_600_000))).toBe('20s');
    expect(formatInterval(calculateIntervalMs(0, 7 * 86_400_000))).toBe('10m');
  });
});

describe('backend macros and URLs', () => {
  it('expands only what the Infinity backend knows; $__interval only with an interval', () => {
    expect(interpolateBackendMacros('${__from}-${__to}', 5, 9)).toBe('5-9');
    expect(interpolateBackendMacros('${__interval}', 5, 9)).toBe('${__interval}');
    expect(interpolateBackendMacros('${__interval}', 5, 9, 60_000)).toBe('1m');
    expect(interpolateBackendMacros('${provider:csv}', 5, 9)).toBe('${provider:csv}');
  });

  it('prefixes the data source URL and encodes params like Go (sorted keys)', () => {
    const u = buildRequestUrl(
      {
        refId: 'A',
        type: 'json',
        source: 'url',
        parser: 'backend',
        url: '/api/v1/surges?x=1',
        url_options: {
          params: [
            { key: 'codes', value: '1310,1308' },
            { key: 'by', value: 'key' },
            { key: 'q', value: 'a b/c' },
          ],
        },
        root_selector: 'rows',
        columns: [],
      },
      'http://api:8080',
    );
    expect(u.toString()).toBe('http://api:8080/api/v1/surges?by=key&codes=1310%2C1308&q=a+b%2Fc&x=1');
  });
});

describe('server-side expressions', () => {
  const table = (rows: Record<string, unknown>[], columns: [string, string][]) =>
    parseBackendResponse({ rows }, q(columns));

  it('turns a table with one number column into labelled numbers', () => {
    const set = frameToNumberSet(
      table(
        [
          { key: 'a', surging: 1 },
          { key: 'b', surging: null },
        ],
        [
          ['key', 'string'],
          ['surging', 'number'],
        ],
      ),
    );
    expect(set.kind === 'numbers' && set.items.map((i) => [i.labels, i.value])).toEqual([
      [{ key: 'a' }, 1],
      [{ key: 'b' }, Number.NaN],
    ]);
  });

  it('says no data for no rows, and refuses tables Grafana cannot alert on', () => {
    expect(
      frameToNumberSet(
        table(
          [],
          [
            ['key', 'string'],
            ['v', 'number'],
          ],
        ),
      ),
    ).toEqual({ kind: 'nodata' });
    expect(() =>
      frameToNumberSet(
        table(
          [{ key: 'a', x: 1, y: 2 }],
          [
            ['key', 'string'],
            ['x', 'number'],
            ['y', 'number'],
          ],
        ),
      ),
    ).toThrow(/exactly 1/);
    expect(() =>
      frameToNumberSet(
        table(
          [{ time: 1, v: 1 }],
          [
            ['time', 'timestamp_epoch'],
            ['v', 'number'],
          ],
        ),
      ),
    ).toThrow(/time field/);
    expect(() =>
      frameToNumberSet(
        table(
          [
            { key: 'a', v: 1 },
            { key: 'a', v: 2 },
          ],
          [
            ['key', 'string'],
            ['v', 'number'],
          ],
        ),
      ),
    ).toThrow(/duplicate label set/);
  });

  it('reduce is a no-op on numbers apart from the NaN mapper', () => {
    const input = nums([
      [{ k: 'a' }, Number.NaN],
      [{ k: 'b' }, 2],
    ]);
    expect(reduce(input, 'last', { mode: 'replaceNN', replaceWithValue: 0 })).toEqual(
      nums([
        [{ k: 'a' }, 0],
        [{ k: 'b' }, 2],
      ]),
    );
    expect(reduce(input, 'last', { mode: 'dropNN' })).toEqual(nums([[{ k: 'b' }, 2]]));
    expect(() => reduce(input, 'p99')).toThrow(ExpressionError);
  });

  it('threshold gives 1/0 per instance', () => {
    expect(
      threshold(
        nums([
          [{ k: 'a' }, 0.4],
          [{ k: 'b' }, 0.6],
        ]),
        { type: 'gt', params: [0.5] },
      ),
    ).toEqual(
      nums([
        [{ k: 'a' }, 0],
        [{ k: 'b' }, 1],
      ]),
    );
  });

  it('math joins sets on equal or contained labels, with operator precedence', () => {
    const a = nums([
      [{ provider: 'p' }, 1],
      [{ provider: 'q' }, 1],
      [{ provider: 'r' }, 0],
    ]);
    const b = nums([
      [{ provider: 'p' }, 5],
      [{ provider: 'q' }, 2],
      [{ provider: 'r' }, 9],
    ]);
    expect(math('$A > 0 && $B >= 3', { A: a, B: b })).toEqual(
      nums([
        [{ provider: 'p' }, 1],
        [{ provider: 'q' }, 0],
        [{ provider: 'r' }, 0],
      ]),
    );
    expect(math('$B / 1000 + 1 * 2', { B: nums([[{}, 4000]]) })).toEqual(nums([[{}, 6]]));
    expect(math('(1 + 2) * 3', {})).toEqual(nums([[{}, 9]]));
    const wider = nums([[{ provider: 'p', key: 'k' }, 2]]);
    expect(math('$A + $W', { A: a, W: wider })).toEqual(nums([[{ provider: 'p', key: 'k' }, 3]]));
    expect(math('$A > 0', { A: { kind: 'nodata' } })).toEqual({ kind: 'nodata' });
    expect(() => math('$Z > 0', {})).toThrow(/not defined/);
  });
});

describe('alert state machine', () => {
  it('goes pending, then alerting after `for`, and keeps firing for `keepFiringFor`', () => {
    const m = new AlertStateMachine(parseDuration('2m'), parseDuration('5m'));
    const k = { key: 'a' };
    const min = 60_000;
    expect(m.step(0, [k]).get('key=a')).toBe('pending');
    expect(m.step(1 * min, [k]).get('key=a')).toBe('pending');
    expect(m.step(2 * min, [k]).get('key=a')).toBe('alerting');
    expect(m.step(3 * min, []).get('key=a')).toBe('alerting');
    expect(m.step(6 * min, []).get('key=a')).toBe('alerting');
    expect(m.step(7 * min, []).get('key=a')).toBe('normal');
  });

  it('drops a pending instance as soon as the condition is false', () => {
    const m = new AlertStateMachine(parseDuration('2m'), parseDuration('5m'));
    m.step(0, [{ key: 'a' }]);
    expect(m.step(60_000, []).get('key=a')).toBe('normal');
    expect(m.alerting()).toEqual([]);
  });

  it('parses durations and refuses nonsense', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(() => parseDuration('5 minutes')).toThrow();
  });
});
