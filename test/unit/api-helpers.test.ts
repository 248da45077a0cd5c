import { ClickHouseError } from '@clickhouse/client';
import { describe, expect, test } from 'vitest';
import {
  filterSql,
  InputError,
  parseDimensions,
  parseFilters,
  parseList,
  selectDims,
} from '../../services/api/dimensions.js';
import {
  ApiConfigError,
  bearerToken,
  checkAuthPolicy,
  isLoopback,
  isPublicPath,
  tokenMatcher,
} from '../../services/api/plugins/auth.js';
import { toHttpError } from '../../services/api/plugins/errors.js';
import { zeroFill } from '../../services/api/routes.js';
import { TimeInputError } from '../../services/query/timeparse.js';

describe('lists, dimensions, filters', () => {
  test.each([
    [undefined, undefined],
    ['', undefined],
    ['All', undefined],
    ['$__all', undefined],
    ['a,*', undefined],
    ['1310', ['1310']],
    [' a, b ,,a ', ['a', 'b']],
  ])('parseList(%j)', (raw, want) => expect(parseList(raw)).toEqual(want));

  test('dimensions are whitelisted and mapped to columns', () => {
    expect(parseDimensions('provider, key,code', 'group_by')).toEqual(['provider', 'key', 'code']);
    expect(() => parseDimensions('key_fp', 'group_by')).toThrow(InputError);
    expect(() => parseDimensions("code'; DROP TABLE x", 'by')).toThrow(/unknown dimension/);
    expect(() => parseDimensions('model', 'by', ['key', 'tenant'])).toThrow(/use one or more of key, tenant/);
    expect(selectDims(['provider', 'key', 'http_status'])).toBe('provider, key_fp AS key, http_status');
  });

  test('filter values only travel as typed parameters', () => {
    const filters = parseFilters({ key: "fp_1,x' OR 1=1 --", http_status: '429, 500', model: 'All', code: '' });
    const f = filterSql(filters, 'f', 't');
    // Qualified by the table alias where a SELECT alias of the same name would shadow the column.
    expect(f.sql).toBe('AND t.key_fp IN {f_key:Array(String)} AND t.http_status IN {f_http_status:Array(UInt16)}');
    expect(filterSql(filters).sql).toBe(
      'AND key_fp IN {f_key:Array(String)} AND http_status IN {f_http_status:Array(UInt16)}',
    );
    expect(f.params).toEqual({ f_key: ['fp_1', "x' OR 1=1 --"], f_http_status: [429, 500] });
    expect(() => parseFilters({ http_status: '4xx' })).toThrow(/http_status: '4xx'/);
    expect(parseFilters({ provider: 'a', model: 'b' }, ['model']).map((x) => x.dimension)).toEqual(['provider']);
  });
});

describe('zeroFill', () => {
  test('every label set gets every bucket; error_rate computed; unique label sets per time', () => {
    const rows = zeroFill(
      [
        { time: 0, code: '1310', calls: 4, errors: 4 },
        { time: 120, code: '1302', calls: 2, errors: 1 },
      ],
      ['code'],
      [0, 60, 120],
    );
    expect(rows).toEqual([
      { time: 0, code: '1310', calls: 4, errors: 4, error_rate: 1 },
      { time: 0, code: '1302', calls: 0, errors: 0, error_rate: 0 },
      { time: 60, code: '1310', calls: 0, errors: 0, error_rate: 0 },
      { time: 60, code: '1302', calls: 0, errors: 0, error_rate: 0 },
      { time: 120, code: '1310', calls: 0, errors: 0, error_rate: 0 },
      { time: 120, code: '1302', calls: 2, errors: 1, error_rate: 0.5 },
    ]);
  });
  test('an ungrouped series with no data is all zeros', () => {
    expect(zeroFill([], [], [0, 60])).toEqual([
      { time: 0, calls: 0, errors: 0, error_rate: 0 },
      { time: 60, calls: 0, errors: 0, error_rate: 0 },
    ]);
  });
  test('a grouped series with no data has no rows (no label set to draw)', () => {
    expect(zeroFill([], ['key'], [0, 60])).toEqual([]);
  });
});

describe('auth policy and tokens', () => {
  test.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.5', false],
  ])('isLoopback(%s)', (host, want) => expect(isLoopback(host)).toBe(want));

  test('refuses a reachable HOST without tokens unless ALLOW_NO_AUTH', () => {
    expect(() => checkAuthPolicy({ HOST: '0.0.0.0', API_TOKENS: [], ALLOW_NO_AUTH: false })).toThrow(ApiConfigError);
    expect(() => checkAuthPolicy({ HOST: '0.0.0.0', API_TOKENS: [], ALLOW_NO_AUTH: false })).toThrow(
      /API_TOKENS.*ALLOW_NO_AUTH=true/,
    );
    expect(() => checkAuthPolicy({ HOST: '0.0.0.0', API_TOKENS: [], ALLOW_NO_AUTH: true })).not.toThrow();
    expect(() => checkAuthPolicy({ HOST: '0.0.0.0', API_TOKENS: ['t'], ALLOW_NO_AUTH: false })).not.toThrow();
    expect(() => checkAuthPolicy({ HOST: '127.0.0.1', API_TOKENS: [], ALLOW_NO_AUTH: false })).not.toThrow();
  });

  test('tokenMatcher accepts each configured token and nothing else', () => {
    const m = tokenMatcher(['alpha-token', 'beta-token']);
    expect(m('alpha-token')).toBe(true);
    expect(m('beta-token')).toBe(true);
    expect(m('alpha-toke')).toBe(false);
    expect(m('')).toBe(false);
    expect(tokenMatcher([])('anything')).toBe(false);
  });

  test.each([
    ['Bearer abc', 'abc'],
    ['bearer abc ', 'abc'],
    ['Bearer', null],
    ['Bearer a b', null],
    ['Basic abc', null],
    [undefined, null],
  ])('bearerToken(%j)', (header, want) => expect(bearerToken(header)).toBe(want));

  test.each([
    ['/health', true],
    ['/ready?x=1', true],
    ['/metrics', true],
    ['/openapi.json', true],
    ['/docs', true],
    ['/docs/static/index.html', true],
    ['/docsx', false],
    ['/', true],
    ['/?provider=zai', true],
    ['/ui/app.js', true],
    ['/ui/config.json', true],
    ['/uix', false],
    ['/api/v1/series', false],
    ['/api/v1/health', false],
  ])('isPublicPath(%s)', (url, want) => expect(isPublicPath(url)).toBe(want));
});

describe('toHttpError', () => {
  test('input errors and user-caused ClickHouse errors are 400; others are generic 500', () => {
    expect(toHttpError(new InputError('by: nope'))).toEqual({
      status: 400,
      error: 'Bad Request',
      message: 'by: nope',
    });
    expect(toHttpError(new TimeInputError('from: bad')).status).toBe(400);
    const user = new ClickHouseError({
      message: 'Timeout exceeded: elapsed 30 s',
      code: '159',
      type: 'TIMEOUT_EXCEEDED',
    });
    expect(toHttpError(user)).toMatchObject({
      status: 400,
      message: expect.stringMatching(/TIMEOUT_EXCEEDED.*narrow/),
    });
    const ours = new ClickHouseError({ message: 'Unknown table secret_db.x', code: '60', type: 'UNKNOWN_TABLE' });
    expect(toHttpError(ours)).toEqual({ status: 500, error: 'Internal Server Error', message: 'internal error' });
    expect(toHttpError(new Error('boom: password=hunter2'))).toEqual({
      status: 500,
      error: 'Internal Server Error',
      message: 'internal error',
    });
    expect(toHttpError(Object.assign(new Error('Rate limit exceeded'), { statusCode: 429 }))).toMatchObject({
      status: 429,
      error: 'Too Many Requests',
    });
  });
});
