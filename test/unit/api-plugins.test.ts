// Each app plugin of the query API on a real fastify instance of its own (fastify.inject, no mocks),
// and the whole API registered into another fastify server, with and without a prefix.
import type { ClickHouseClient } from '@clickhouse/client';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { Type } from 'typebox';
import { afterEach, describe, expect, test } from 'vitest';
import { type ApiOptions, api } from '../../services/api/app.js';
import { InputError } from '../../services/api/dimensions.js';
import { auth } from '../../services/api/plugins/auth.js';
import { errors } from '../../services/api/plugins/errors.js';
import { health } from '../../services/api/plugins/health.js';
import { metrics } from '../../services/api/plugins/metrics.js';
import { validation } from '../../services/api/plugins/validation.js';
import { withDefault } from '../../services/api/schemas.js';
import { fingerprintKey } from '../../services/core/fingerprint.js';
import { TAXONOMY } from '../../services/core/taxonomy.js';

const open: FastifyInstance[] = [];
function server(): FastifyInstance {
  const app = Fastify({ logger: false });
  open.push(app);
  return app;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((a) => a.close()));
});

describe('auth plugin', () => {
  test('a data route needs a valid bearer token; public paths do not', async () => {
    const app = server();
    await app.register(auth, { tokens: ['tok-1', 'tok-2'], host: '0.0.0.0' });
    app.get('/api/v1/x', async () => ({ ok: true }));
    app.get('/health', async () => ({ ok: true }));
    const none = await app.inject({ url: '/api/v1/x' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect(none.json()).toEqual({ error: 'Unauthorized', message: 'send Authorization: Bearer <API token>' });
    expect((await app.inject({ url: '/api/v1/x', headers: { authorization: 'Bearer tok-3' } })).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/v1/x', headers: { authorization: 'Bearer tok-2' } })).json()).toEqual({
      ok: true,
    });
    expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
  });

  test('without tokens every path answers', async () => {
    const app = server();
    await app.register(auth, { tokens: [], host: '127.0.0.1' });
    app.get('/api/v1/x', async () => ({ ok: true }));
    expect((await app.inject({ url: '/api/v1/x' })).statusCode).toBe(200);
  });
});

describe('errors plugin', () => {
  test('input errors are 400 with their message, others a generic 500; 404 and 405 with Allow', async () => {
    const app = server();
    await app.register(errors);
    app.get('/bad', async () => {
      throw new InputError('by: give at least one dimension');
    });
    app.get('/boom', async () => {
      throw new Error('connection string has password=hunter2');
    });
    app.get('/busy', async () => {
      throw Object.assign(new Error('shed'), { statusCode: 503 });
    });
    expect((await app.inject({ url: '/bad' })).json()).toEqual({
      error: 'Bad Request',
      message: 'by: give at least one dimension',
    });
    const boom = await app.inject({ url: '/boom' });
    expect(boom.statusCode).toBe(500);
    expect(boom.json()).toEqual({ error: 'Internal Server Error', message: 'internal error' });
    const busy = await app.inject({ url: '/busy' });
    expect(busy.statusCode).toBe(503);
    expect(busy.headers['retry-after']).toBe('10');
    const post = await app.inject({ method: 'POST', url: '/bad' });
    expect(post.statusCode).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect(post.json()).toEqual({ error: 'Method Not Allowed', message: 'POST /bad: use GET or HEAD' });
    expect((await app.inject({ url: '/nowhere' })).json()).toEqual({
      error: 'Not Found',
      message: 'no route GET /nowhere',
    });
  });
});

test('a 4xx answer that quotes the request shows a pasted key as its fingerprint', async () => {
  const app = server();
  await app.register(errors);
  const pasted = 'sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe9Dc8Ba7';
  app.get('/echo', async (req) => {
    throw new InputError(`by: unknown dimension '${(req.query as { by: string }).by}'`);
  });
  const bad = await app.inject({ url: `/echo?by=${pasted}` });
  expect(bad.statusCode).toBe(400);
  expect(bad.body).not.toContain(pasted);
  expect(bad.json().message).toBe(`by: unknown dimension '${fingerprintKey(pasted)}'`);
  const missing = await app.inject({ url: `/v1/${pasted}` });
  expect(missing.statusCode).toBe(404);
  expect(missing.json().message).toBe(`no route GET /v1/${fingerprintKey(pasted)}`);
});

describe('validation plugin', () => {
  test('coerces, fills defaults, keeps unknown parameters, refuses non-finite numbers, names the parameter', async () => {
    const app = server();
    await app.register(validation);
    app.get(
      '/q',
      {
        schema: {
          querystring: Type.Object({
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, default: 7 })),
            flag: Type.Optional(Type.Boolean()),
          }),
        },
      },
      async (req) => req.query,
    );
    expect((await app.inject({ url: '/q?flag=true&extra=1' })).json()).toEqual({ limit: 7, flag: true, extra: '1' });
    expect((await app.inject({ url: '/q?limit=3' })).json()).toEqual({ limit: 3 });
    const over = await app.inject({ url: '/q?limit=11' });
    expect(over.statusCode).toBe(400);
    expect(over.json().message).toBe('limit: must be <= 10');
    const inf = await app.inject({ url: '/q?limit=1e309' });
    expect(inf.statusCode).toBe(400);
    expect(inf.json().message).toBe("limit: '1e309' is not a finite number; use an integer from 1 to 10");
  });
});

describe('withDefault', () => {
  test('the parameter stays optional in the schema and carries its default; no default is refused', () => {
    const q = Type.Object({ limit: withDefault(Type.Integer({ default: 5 })), name: Type.String() });
    expect(q.required).toEqual(['name']);
    expect((q.properties.limit as { default?: unknown }).default).toBe(5);
    expect(() => withDefault(Type.Integer())).toThrow(/declares no default/);
  });
});

describe('metrics plugin', () => {
  test('/metrics counts requests by method, route and status', async () => {
    const app = server();
    await app.register(metrics, { registry: new Registry() });
    app.get('/x/:id', async () => ({ ok: true }));
    await app.inject({ url: '/x/1' });
    await app.inject({ url: '/x/2' });
    const page = await app.inject({ url: '/metrics' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(
      'errorscope_api_request_duration_seconds_count{method="GET",route="/x/:id",status_code="200"} 2',
    );
    expect(page.body).not.toContain('errorscope_knowledge_up');
  });
});

describe('health plugin', () => {
  test('/health always ok; /ready follows the store ping and the Kafka state', async () => {
    let up = false;
    let kafkaReason: string | null = 'starting';
    const app = server();
    await app.register(health, {
      ping: async () => {
        if (!up) throw new Error('connection refused');
      },
      kafka: {
        state: () => ({ state: 'starting', reason: kafkaReason, failedAttempts: 0, nextAttemptAt: null, topic: 't' }),
        notReadyReason: () => kafkaReason,
      },
    });
    expect((await app.inject({ url: '/health' })).json()).toEqual({ status: 'ok' });
    const down = await app.inject({ url: '/ready' });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ status: 'unavailable', kafka: { reason: 'starting' } });
    up = true;
    expect((await app.inject({ url: '/ready' })).statusCode).toBe(503);
    kafkaReason = null;
    const ready = await app.inject({ url: '/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', kafka: { reason: null } });
  });
});

describe('the API registered into another fastify server', () => {
  // The routes called here read no table: the client is never used.
  const options: ApiOptions = {
    config: {
      HOST: '127.0.0.1',
      API_TOKENS: ['host-token'],
      ALLOW_NO_AUTH: false,
      RATE_LIMIT_PER_MINUTE: 1000,
      CLICKHOUSE_DATABASE: 'unused',
    },
    client: {} as ClickHouseClient,
    taxonomy: TAXONOMY,
    knowledgeMetrics: false,
  };
  const wanted = TAXONOMY.filter((t) => t.provider === 'zai' && t.category === 'quota').length;

  test.each(['/errorscope', ''])('under prefix %j, beside the host routes', async (prefix) => {
    // The host validates with fastify's defaults (removeAdditional, no default filling of its own).
    const host = server();
    host.get('/host', async () => ({ host: true }));
    await host.register(api, { ...options, prefix });
    const authz = { authorization: 'Bearer host-token' };

    const taxonomy = await host.inject({
      url: `${prefix}/api/v1/taxonomy?provider=zai&category=quota`,
      headers: authz,
    });
    expect(taxonomy.statusCode).toBe(200);
    const rows = taxonomy.json().rows as { provider: string; category: string }[];
    expect(rows).toHaveLength(wanted);
    expect(rows.every((r) => r.provider === 'zai' && r.category === 'quota')).toBe(true);

    expect((await host.inject({ url: `${prefix}/api/v1/taxonomy` })).statusCode).toBe(401);
    expect((await host.inject({ url: `${prefix}/health` })).json()).toEqual({ status: 'ok' });
    const bad = await host.inject({ url: `${prefix}/api/v1/series?max_series=1e309`, headers: authz });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/max_series: '1e309' is not a finite number/);
    const doc = (await host.inject({ url: `${prefix}/openapi.json` })).json();
    expect(Object.keys(doc.paths)).toContain(`${prefix}/api/v1/taxonomy`);
    expect((await host.inject({ url: '/host' })).json()).toEqual({ host: true });
  });
});
