// The start-up kit's logger and signal wait: a secret planted in any redacted place never reaches the
// log's bytes, in either format.
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACT, redactSecretFields, SECRET_KEYS, stopSignal } from '../../services/cli/boot.js';
import { fingerprintKey } from '../../services/core/fingerprint.js';
import { capture, tick } from '../helpers/streams.js';

/** The object a redact path describes, with `value` at its end (a wildcard becomes a field name). */
function plant(path: string, value: string): Record<string, unknown> {
  const steps = [...path.matchAll(/\["([^"]+)"\]|([^.[\]]+)/g)].map((m, i) =>
    (m[1] ?? m[2]) === '*' ? `any${i}` : ((m[1] ?? m[2]) as string),
  );
  const root: Record<string, unknown> = {};
  let at = root;
  for (const step of steps.slice(0, -1)) {
    const next: Record<string, unknown> = {};
    at[step] = next;
    at = next;
  }
  at[steps[steps.length - 1] as string] = value;
  return root;
}

const FORMATS = ['json', 'pretty'] as const;

describe('one redact list for every command', () => {
  it('covers the request headers fastify logs and the fields that carry a key', () => {
    expect(REDACT).toContain('req.headers["authorization"]');
    expect(REDACT).toContain('api_key');
    for (const k of ['authorization', 'x-api-key', 'x-goog-api-key', 'api_key', 'api_tokens', 'clickhouse_password'])
      expect(SECRET_KEYS.has(k), k).toBe(true);
  });

  it.each(FORMATS)(
    '%s: a secret key at any depth (objects and arrays, any case) is not in the bytes',
    async (format) => {
      const out = capture();
      const log = createLogger({ LOG_LEVEL: 'info', LOG_FORMAT: format }, { destination: out.stream });
      let n = 0;
      for (const key of SECRET_KEYS) {
        for (const name of [key, key.toUpperCase()]) {
          const secret = `sk-deep-${n++}-secret`;
          // Depth 0 to 4: { k }, { a: { k } }, { a: [{ k }] }, { a: { b: { c: { k } } } }, ...
          log.info({ [name]: secret, a: { [name]: secret, list: [{ b: { [name]: secret } }] } }, `line ${n}`);
          log.info({ a: { b: { c: { d: { [name]: secret } } } } }, `deep ${n}`);
        }
      }
      await tick();
      const text = out.text();
      for (let i = 1; i <= n; i++) expect(text).toContain(`deep ${i}`);
      expect(text).not.toMatch(/sk-deep-\d+-secret/);
    },
  );

  it('the object logged is not changed; one without secrets is not copied', () => {
    const planted = { status: 429, envelope: { api_key: 'sk-live-1', model: 'glm-4.6' } };
    const scrubbed = redactSecretFields(planted);
    expect(scrubbed).toEqual({ status: 429, envelope: { api_key: '[Redacted]', model: 'glm-4.6' } });
    expect(planted.envelope.api_key).toBe('sk-live-1');
    const clean = { status: 200, req: { url: '/x' } };
    expect(redactSecretFields(clean)).toBe(clean);
  });

  it.each(FORMATS)(
    '%s: a request serialized with its headers (as a fastify serializer may) is redacted',
    async (format) => {
      class Request {
        method = 'POST';
        url = '/api/v1/ingest';
        headers = { authorization: 'Bearer sk-serialized-1', 'x-api-key': 'sk-serialized-2', host: 'h' };
      }
      const out = capture();
      const log = createLogger({ LOG_LEVEL: 'info', LOG_FORMAT: format }, { destination: out.stream }).child(
        {},
        { serializers: { req: (r: Request) => ({ method: r.method, url: r.url, headers: r.headers }) } },
      );
      log.warn({ req: new Request(), res: { statusCode: 500 } }, 'request completed');
      await tick();
      expect(out.text()).toContain('/api/v1/ingest');
      expect(out.text()).not.toContain('sk-serialized');
    },
  );

  it.each(FORMATS)('%s: a key planted at every redacted path is not in the bytes logged', async (format) => {
    const out = capture();
    const log = createLogger({ LOG_LEVEL: 'info', LOG_FORMAT: format }, { svc: 'test', destination: out.stream });
    REDACT.forEach((path, i) => {
      log.info(plant(path, `sk-planted-${i}-secret`), `line ${i}`);
    });
    await tick();
    const text = out.text();
    // Every line was written (a path that broke the logger would lose its line) ...
    for (let i = 0; i < REDACT.length; i++) expect(text).toContain(`line ${i}`);
    // ... and no planted key is in it.
    expect(text).not.toMatch(/sk-planted-\d+-secret/);
  });

  it.each(FORMATS)('%s: keys where the services put them are redacted, the rest of the line kept', async (format) => {
    const out = capture();
    const log = createLogger({ LOG_LEVEL: 'info', LOG_FORMAT: format }, { destination: out.stream });
    const secrets = {
      bearer: 'Bearer sk-header-1111',
      xApiKey: 'sk-header-2222',
      goog: 'AIza-header-3333',
      envelope: 'sk-envelope-4444',
      gateway: 'Bearer sk-gateway-5555',
      token: 'tok-config-6666',
      password: 'pw-config-7777',
    };
    // As fastify logs a request (with headers serialized), and as a rejected line or the config could be.
    log.info(
      {
        req: {
          method: 'POST',
          url: '/api/v1/ingest',
          headers: { authorization: secrets.bearer, 'x-api-key': secrets.xApiKey, 'x-goog-api-key': secrets.goog },
        },
      },
      'incoming request',
    );
    log.warn({ envelope: { status: 429, api_key: secrets.envelope } }, 'rejected line');
    log.warn({ row: { authorization: secrets.gateway, status: 500 } }, 'gateway row');
    log.error(
      { config: { API_TOKENS: [secrets.token], CLICKHOUSE_PASSWORD: secrets.password, HOST: '0.0.0.0' } },
      'config',
    );
    log.child({ api_key: secrets.envelope }).info('child bindings');
    await tick();
    const text = out.text();
    for (const s of Object.values(secrets)) expect(text).not.toContain(s.replace(/^Bearer /, ''));
    expect(text).toContain('rejected line');
    expect(text).toContain('0.0.0.0');
    expect(text).toContain('child bindings');
    // The JSON logger keeps the request line (the pretty one shows only failed requests).
    if (format === 'json') expect(text).toContain('/api/v1/ingest');
  });
});

describe('the stop signal', () => {
  it('settles with the first SIGTERM or SIGINT, and leaves no listener behind', async () => {
    const before = [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')];
    const stop = stopSignal();
    expect(process.listenerCount('SIGTERM')).toBe((before[0] as number) + 1);
    process.emit('SIGINT');
    expect(await stop.received).toBe('SIGINT');
    stop.dispose();
    expect([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')]).toEqual(before);
  });
});

describe('a request URL in the log', () => {
  it('a key in the query string or the path is logged as its fingerprint', async () => {
    const out = capture();
    const log = createLogger({ LOG_LEVEL: 'info', LOG_FORMAT: 'json' }, { destination: out.stream, isTty: false });
    const app = Fastify({ loggerInstance: log });
    app.get('/api/v1/samples', async () => ({ rows: [] }));
    const pasted = 'sk-proj-Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8';
    const named = 'not-shaped-like-a-key-but-named-api_key';
    await app.inject({ url: `/api/v1/samples?key=${pasted}&api_key=${named}` });
    await app.inject({ url: `/api/v1/${pasted}` });
    await app.close();
    await tick();
    const text = out.text();
    expect(text).not.toContain(pasted);
    expect(text).not.toContain(named);
    expect(text).toContain(fingerprintKey(pasted));
    expect(text).toContain('/api/v1/samples?key=');
  });
});
