// "Raw keys are never stored": every placement of a key, through Kafka AND HTTP ingest, good lines and
// refused lines; then the BYTES of the whole chDB data directory (every file, system tables included)
// and every API answer are searched for the planted keys. One found = fail.
//
// LZ4 could hide a string in a compressed part, so before ingesting, every String column of the test
// database is switched to CODEC(NONE): what was written is on disk as written. The same rows are also
// read back with SELECT, and the dead-letter topic is read, to be sure the search looks at real data.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DIMENSIONS } from '../../services/api/dimensions.js';
import { buildApp } from '../../services/api/server.js';
import { parseConfig } from '../../services/config.js';
import { fingerprintKey } from '../../services/core/fingerprint.js';
import { IngestWorker } from '../../services/ingest/worker.js';
import { clickhouseInserter } from '../../services/store/calls.js';
import { createStoreClient } from '../../services/store/clickhouse.js';
import { clickhouseIntents } from '../../services/store/intents.js';
import { migrate } from '../../services/store/migrate.js';
import { injectUnshed, storeIngest } from '../helpers/app.js';
import { tempChdbDir } from '../helpers/chdb.js';
import { caughtUp, createTopic, describeKafka, fresh, testKafka, waitFor } from '../helpers/kafka.js';
import { connectKafka, disconnectKafka } from '../helpers/kafka-clients.js';

const dataDir = tempChdbDir('errorscope-secrets-');
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const db = fresh('db').replaceAll('-', '_');
let client: ClickHouseClient;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;

const hex = (n: number) => randomBytes(n).toString('hex');
const alnum = (n: number) =>
  randomBytes(n * 2)
    .toString('base64url')
    .replace(/[-_]/g, '')
    .slice(0, n);

/** A planted key: random per run, labelled by transport and placement for the failure message. */
interface Planted {
  label: string;
  key: string;
}

/**
 * Every way a key arrives, as envelope lines (good and refused). Each line gets its own key, so a leak
 * names its placement. Shapes vary: sk-, Zhipu <32 hex>.<16>, Azure 32 hex, Google AIza, base64 with
 * characters URL encoding changes.
 */
function placements(transport: string, now: number): { lines: string[]; planted: Planted[] } {
  const planted: Planted[] = [];
  const plant = (placement: string, key: string) => {
    planted.push({ label: `${transport}: ${placement}`, key });
    return key;
  };
  const ts = new Date(now - 60_000).toISOString();
  const err = (message: string, code = 'invalid_api_key') => ({
    error: { message, type: 'invalid_request_error', code },
  });
  const lines: string[] = [];
  const add = (o: unknown) => lines.push(JSON.stringify(o));

  const k1 = plant('api_key field, echoed in the body', `sk-proj-${alnum(40)}`);
  add({
    ts,
    provider: 'openai',
    model: 'gpt-4o',
    api_key: k1,
    status: 401,
    body: err(`Incorrect API key provided: ${k1}.`),
  });

  const k2 = plant('headers.authorization Bearer, echoed in the body', `${hex(16)}.${alnum(16)}`);
  add({
    ts,
    provider: 'zhipu',
    model: 'glm-4',
    headers: { authorization: `Bearer ${k2}` },
    status: 401,
    body: { error: { code: '1000', message: `身份验证失败 ${k2}` } },
  });

  const k3 = plant('headers x-api-key, echoed in the body', `sk-ant-api03-${alnum(60)}`);
  add({
    ts,
    provider: 'anthropic',
    model: 'claude-sonnet-4',
    headers: { 'x-api-key': k3 },
    status: 401,
    body: { type: 'error', error: { type: 'authentication_error', message: `invalid x-api-key ${k3}` } },
  });

  const k4 = plant('headers api-key (Azure), echoed in the body', hex(16));
  add({ ts, provider: 'openai', headers: { 'api-key': k4 }, status: 401, body: err(`Access denied: key ${k4}`) });

  const k5 = plant('Bearer token only in the message text', alnum(48));
  add({ ts, provider: 'openai', status: 401, body: err(`upstream said: header Authorization: Bearer ${k5} rejected`) });

  const k6 = plant('?api-key= in the url, the url echoed in the body', hex(16));
  const azureUrl = `https://acme.openai.azure.com/openai/deployments/gpt4/chat/completions?api-version=2024-06-01&api-key=${k6}`;
  add({ ts, provider: 'openai', url: azureUrl, status: 404, body: err(`Resource not found: POST ${azureUrl}`, '404') });

  const k7 = plant('?key= in the endpoint (Gemini), echoed in the body', `AIza${alnum(35)}`);
  const gUrl = `https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent?key=${k7}`;
  add({
    ts,
    provider: 'gemini',
    endpoint: gUrl,
    status: 400,
    body: { error: { code: 400, message: `API key not valid. url=${gUrl}`, status: 'INVALID_ARGUMENT' } },
  });

  const raw8 = `${randomBytes(24).toString('base64')}+/=`;
  const k8 = plant('URL-encoded ?api-key= in the url and the body (decoded form)', raw8);
  planted.push({ label: `${transport}: URL-encoded form`, key: encodeURIComponent(raw8) });
  const encUrl = `https://acme.openai.azure.com/openai/deployments/d/embeddings?api-key=${encodeURIComponent(k8)}`;
  add({ ts, provider: 'openai', url: encUrl, status: 401, body: err(`denied for ${encUrl} (key ${k8})`) });

  const k9 = plant('sk- key only inside the body message text', `sk-${alnum(48)}`);
  add({
    ts,
    provider: 'openai',
    key_id: 'team-a',
    status: 429,
    body: err(`Rate limit reached for key ${k9}`, 'rate_limit_exceeded'),
  });

  const k13 = plant('in the url path (a gateway), known from api_key', `sk-${alnum(48)}`);
  const gw = `https://gw.example.com/v1/${k13}/chat/completions`;
  add({
    ts,
    url: gw,
    api_key: k13,
    model: 'gpt-4o',
    status: 500,
    body: err(`upstream failed: POST ${gw}`, 'bad_gateway'),
  });

  const k14 = plant('logged as the model and the finish_reason, known from the header', alnum(40));
  add({
    ts,
    provider: 'openai',
    headers: { authorization: `Bearer ${k14}` },
    model: k14,
    finish_reason: k14,
    status: 503,
    body: err(`model ${k14} is overloaded`, 'overloaded'),
  });

  const k15 = plant('sk- key in the tenant and the request id, unknown to the envelope', `sk-${alnum(48)}`);
  add({
    ts,
    provider: 'openai',
    model: 'gpt-4o',
    tenant: `acme ${k15}`,
    request_id: k15,
    status: 429,
    body: err(`Rate limit reached for request ${k15}`, 'rate_limit_exceeded'),
  });

  const k10 = plant('api_key field in a refused line (wrong field type)', `sk-${alnum(40)}`);
  add({ ts: 'yesterday-ish', provider: 'openai', api_key: k10, status: 'banana' });

  const k11 = plant('Authorization header in a refused line (not JSON)', alnum(40));
  lines.push(`{"headers":{"Authorization":"Bearer ${k11}"}, "status": 401, oops`);

  const k12 = plant('key as the whole refused line', `sk-${alnum(40)}`);
  lines.push(k12);

  return { lines, planted };
}

/** Every file under `dir`, recursively. */
function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...files(p));
    else if (st.isFile()) out.push(p);
  }
  return out;
}

function leaks(haystack: Buffer | string, planted: readonly Planted[]): string[] {
  const text = typeof haystack === 'string' ? haystack : haystack.toString('latin1');
  return planted.filter((p) => text.includes(p.key)).map((p) => p.label);
}

beforeAll(async () => {
  client = await createStoreClient(parseConfig({ CHDB_PATH: dataDir.path }));
  await migrate(client, parseConfig({ CLICKHOUSE_DATABASE: db }));
  ({ kafka, admin, producer } = await connectKafka());
});

afterAll(async () => {
  await disconnectKafka({ producer, admin });
  await client?.close();
  dataDir.remove();
});

describeKafka('raw API keys are never stored nor answered', () => {
  it('every key placement, through Kafka and HTTP: not in the data directory bytes, the rows, the dead letters or any API answer', async () => {
    // Uncompressed String columns, so a key on disk is a byte string the search finds.
    const cols = await (
      await client.query({
        query: `SELECT table, name, type FROM system.columns WHERE database = {db:String} AND type LIKE '%String%'
                AND table IN (SELECT name FROM system.tables WHERE database = {db:String} AND engine LIKE '%MergeTree%')`,
        query_params: { db },
        format: 'JSONEachRow',
      })
    ).json<{ table: string; name: string; type: string }>();
    expect(cols.length).toBeGreaterThan(5);
    for (const c of cols) {
      await client.command({ query: `ALTER TABLE ${db}.${c.table} MODIFY COLUMN \`${c.name}\` ${c.type} CODEC(NONE)` });
    }

    const now = Date.now();
    const viaKafka = placements('kafka', now);
    const viaHttp = placements('http', now);
    const planted = [...viaKafka.planted, ...viaHttp.planted];
    expect(new Set(planted.map((p) => p.key)).size).toBe(planted.length);

    // Kafka: one topic, the worker in-process, the same engine.
    const topic = fresh('secrets');
    const dlq = fresh('secrets-dlq');
    const group = fresh('secrets-group');
    await createTopic(admin, topic, 1);
    await createTopic(admin, dlq, 1);
    await producer.send({
      topic,
      acks: -1,
      // A key as the Kafka message key too.
      messages: viaKafka.lines.map((value, i) => ({ key: i === 0 ? viaKafka.planted[0]!.key : `m${i}`, value })),
    });
    const w = new IngestWorker(
      {
        kafka: testKafka(fresh('w')),
        inserter: clickhouseInserter(client, db),
        intents: clickhouseIntents(client, db),
        log,
      },
      {
        topic,
        groupId: group,
        dlqTopic: dlq,
        maxMessageBytes: 1_048_576,
        segmentMax: 100,
        sessionTimeout: 10_000,
        heartbeatInterval: 1_000,
      },
    );
    try {
      await w.start();
      await waitFor('worker caught up', () => caughtUp(admin, group, topic));
    } finally {
      await w.stop();
    }

    // HTTP: the real route through inject.
    const app = await buildApp({
      config: parseConfig({ CLICKHOUSE_DATABASE: db, HOST: '127.0.0.1', API_TOKENS: 'test-token-for-secrets' }),
      client,
      logger: log,
      ingest: storeIngest(client, db),
    });
    const auth = { authorization: 'Bearer test-token-for-secrets' };
    const answers: string[] = [];
    const ingest = await app.inject({
      method: 'POST',
      url: '/api/v1/ingest',
      headers: { ...auth, 'content-type': 'application/x-ndjson' },
      payload: `${viaHttp.lines.join('\n')}\n`,
    });
    answers.push(ingest.body);
    expect(ingest.statusCode).toBe(200);
    const refusedHttp = 3;
    expect(JSON.parse(ingest.body)).toMatchObject({ accepted: viaHttp.lines.length - refusedHttp });

    // The rows are there (the search below looks at real data), every placement stored scrubbed.
    const one = async (q: string) =>
      Number((await (await client.query({ query: q, format: 'JSONEachRow' })).json<{ n: string }>())[0]?.n ?? 0);
    const goodPerTransport = viaHttp.lines.length - refusedHttp;
    expect(await one(`SELECT count() AS n FROM ${db}.errors_v2`)).toBe(2 * goodPerTransport);
    expect(await one(`SELECT count() AS n FROM ${db}.dead_letters_v1`)).toBe(refusedHttp);
    // Every API answer over the data: samples, series, top by every dimension, values of every
    // dimension, surges, quota walls, unknown codes.
    const gets = [
      '/api/v1/samples?from=now-1d&limit=1000',
      '/api/v1/series?from=now-1d&step=1h',
      ...DIMENSIONS.map((d) => `/api/v1/top?from=now-1d&by=${d}`),
      ...DIMENSIONS.map((d) => `/api/v1/values/${d}?from=now-1d`),
      '/api/v1/surges?from=now-1d',
      '/api/v1/quota-walls?from=now-1d',
      '/api/v1/unknown-codes?from=now-1d',
    ];
    const statuses: string[] = [];
    for (const url of gets) {
      const r = await injectUnshed(app, { method: 'GET', url, headers: auth });
      answers.push(r.body);
      statuses.push(`${r.statusCode} ${url}${r.statusCode === 200 ? '' : ` ${r.body}`}`);
    }
    // Each answered with data, not an error (an error answer would search nothing).
    expect(statuses.filter((s) => !s.startsWith('200 '))).toEqual([]);
    const samples = JSON.parse(answers[1]!) as { rows: unknown[] };
    expect(samples.rows.length).toBe(2 * goodPerTransport);
    await app.close();

    // The dead-letter topic: the Kafka refused lines, kept for diagnosis, without their keys.
    const dead: string[] = [];
    const reader = kafka.consumer({ groupId: fresh('reader') });
    await reader.connect();
    await reader.subscribe({ topic: dlq, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        dead.push(
          `${message.key?.toString('latin1') ?? ''}\n${message.value?.toString('latin1') ?? ''}\n${JSON.stringify(message.headers ?? {})}`,
        );
      },
    });
    await waitFor('3 Kafka dead letters', () => dead.length >= 3);
    await reader.disconnect();
    expect(dead.join('\n')).toContain('banana');

    // Everything on disk, flushed: parts, marks, primary indexes, system logs.
    await client.command({ query: 'SYSTEM FLUSH LOGS' }).catch(() => {});
    for (const t of ['errors_v2', 'dead_letters_v1', 'unknown_codes_v2']) {
      await client.command({ query: `OPTIMIZE TABLE ${db}.${t} FINAL` }).catch(() => {});
    }
    const onDisk = files(dataDir.path);
    expect(onDisk.length).toBeGreaterThan(20);
    const found: string[] = [];
    for (const f of onDisk) for (const label of leaks(readFileSync(f), planted)) found.push(`${label} in ${f}`);
    for (const a of answers) for (const label of leaks(a, planted)) found.push(`${label} in an API answer`);
    for (const d of dead) for (const label of leaks(d, planted)) found.push(`${label} on the dead-letter topic`);
    expect(found).toEqual([]);

    expect(await one(`SELECT countIf(position(message, 'fp_') > 0) AS n FROM ${db}.errors_v2`)).toBeGreaterThanOrEqual(
      2 * goodPerTransport - 2,
    );
    // Scrubbed, not dropped: the refused lines keep the rest of the line for diagnosis.
    expect(await one(`SELECT countIf(position(raw, '"status":"banana"') > 0) AS n FROM ${db}.dead_letters_v1`)).toBe(1);
    // A key named in a header identifies the call like api_key would.
    expect(
      await one(
        `SELECT count() AS n FROM ${db}.errors_v2 WHERE key_fp = '${fingerprintKey(viaKafka.planted[1]!.key)}'`,
      ),
    ).toBe(1);

    // The search itself works: an unscrubbed string written the same way is found on disk.
    const canary = `canary-${hex(16)}`;
    await client.command({
      query: `INSERT INTO ${db}.dead_letters_v1 (src, reason, raw, line, kafka_topic, kafka_partition, kafka_offset) VALUES ('http', 'canary', '${canary}', 1, '', -1, -1)`,
      // Its own token: the embedded engine keeps the last insert's token for the session otherwise.
      clickhouse_settings: { insert_deduplication_token: canary },
    });
    const hit = files(dataDir.path).some((f) => readFileSync(f).includes(canary));
    expect(hit).toBe(true);
  });
});
