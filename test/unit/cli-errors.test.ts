// Errors that say what to do: each message verbatim, as a person sees it on stderr.
import { writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { prepareLine, statePath } from '../../services/cli/commands/ship.js';
import { fromEnvelope } from '../../services/cli/gateway-logs.js';
import { main } from '../../services/cli/main.js';
import { closestFlag, flagsOf, looksLikeMultiLineJson } from '../../services/cli/usage.js';
import { classifyBatch } from '../../services/core/index.js';
import { brokerUnreachable } from '../../services/kafka/client.js';

function io(env: Record<string, string> = {}, stdin = '') {
  const out = new PassThrough();
  const err = new PassThrough();
  const input = new PassThrough();
  input.end(stdin);
  let stdout = '';
  let stderr = '';
  out.on('data', (c) => (stdout += c));
  err.on('data', (c) => (stderr += c));
  return { io: { stdin: input, stdout: out, stderr: err, env }, text: () => ({ stdout, stderr }) };
}

async function run(args: string[], env: Record<string, string> = {}, stdin = '') {
  const t = io(env, stdin);
  const code = await main(args, t.io);
  return { code, ...t.text() };
}

/** A loopback port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

const tmp = () => mkdtemp(join(tmpdir(), 'errorscope-errors-'));

describe('an unknown flag: the usage line and the closest valid flag, the same for every command', () => {
  test.each([
    ['start', '--prot', 'usage: errorscope start [options]', '--port'],
    ['serve', '--prot', 'usage: errorscope serve [--host H] [--port P]', '--port'],
    ['ship', '--ulr', 'usage: errorscope ship [options] <file...|->', '--url'],
    ['demo', '--duraton', 'usage: errorscope demo [options]', '--duration'],
    ['classify', '--stirct', 'usage: errorscope classify [--strict] [--max-bytes N] [FILE ...]', '--strict'],
    ['ingest', '--bro', 'usage: errorscope ingest [options]', '--brokers'],
    ['migrate', '--databse', 'usage: errorscope migrate [--dir DIR] [--database NAME]', '--database'],
  ])('%s %s', async (cmd, flag, usage, near) => {
    const r = await run([cmd, flag]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `errorscope ${cmd}: unknown option '${flag}'; did you mean ${near}?\n${usage}\n` +
        `(errorscope ${cmd} --help lists every option)\n`,
    );
  });

  test('no suggestion when nothing is close; --flag=value counts as --flag', async () => {
    const r = await run(['ship', '--zzzzzz']);
    expect(r.stderr).toBe(
      "errorscope ship: unknown option '--zzzzzz'\nusage: errorscope ship [options] <file...|->\n" +
        '(errorscope ship --help lists every option)\n',
    );
    expect((await run(['start', '--prot=9000'])).stderr).toContain("unknown option '--prot'; did you mean --port?");
  });

  test('the valid flags are the ones the help names', () => {
    expect(flagsOf('  --to kafka|http   x\n  --url URL  (ERRORSCOPE_URL)\n  -h, --help')).toEqual([
      '--to',
      '--url',
      '--help',
    ]);
    expect(closestFlag('--tpoic', ['--topic', '--token', '--to'])).toBe('--topic');
    expect(closestFlag('--x', ['--topic'])).toBeNull();
  });
});

describe('flag errors name the flag typed, not the variable behind it', () => {
  test('start --port 99999', async () => {
    const r = await run(['start', '--port', '99999']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'errorscope start: --port 99999: Too big: expected number to be <=65535\n' +
        'usage: errorscope start [options]\n(errorscope start --help lists every option)\n',
    );
  });

  test('serve --port 99999 and ship --url notaurl', async () => {
    expect((await run(['serve', '--port', '99999'])).stderr).toContain(
      'errorscope serve: --port 99999: Too big: expected number to be <=65535',
    );
    expect((await run(['ship', '--url', 'notaurl', 'x.ndjson'])).stderr).toContain(
      'errorscope ship: --url notaurl: Invalid URL\n',
    );
  });

  test('the same value from the environment is reported under the variable', async () => {
    const r = await run(['start'], { PORT: '99999' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('errorscope start: PORT: Too big: expected number to be <=65535\n');
  });
});

describe('ship to a destination that cannot be reached', () => {
  test('HTTP: names --url and ERRORSCOPE_URL; no --resume when nothing was delivered', async () => {
    const dir = await tmp();
    const file = join(dir, 'calls.ndjson');
    writeFileSync(file, '{"url":"https://api.openai.com/v1/chat/completions","status":200}\n');
    const port = await closedPort();
    const r = await run(['ship', '--to', 'http', '--url', `http://127.0.0.1:${port}`, file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `errorscope ship: cannot reach errorscope at http://127.0.0.1:${port} (ECONNREFUSED): ` +
        'is `errorscope start` running there? Point ship at it with --url or ERRORSCOPE_URL\n',
    );
  });

  test('HTTP: --resume is suggested when an earlier run delivered part of the file', async () => {
    const dir = await tmp();
    const file = join(dir, 'calls.ndjson');
    writeFileSync(file, '{"status":200}\n{"status":500}\n');
    writeFileSync(statePath(resolve(file)), '{}');
    const port = await closedPort();
    const r = await run(['ship', '--to', 'http', '--url', `http://127.0.0.1:${port}`, file]);
    expect(r.stderr).toContain(
      'errorscope ship: run again with --resume to continue after the lines already delivered\n',
    );
  });

  test('Kafka: one line with the broker address and what to check, no stack trace', async () => {
    const dir = await tmp();
    const file = join(dir, 'calls.ndjson');
    writeFileSync(file, '{"status":200}\n');
    const port = await closedPort();
    const r = await run(['ship', '--to', 'kafka', '--brokers', `127.0.0.1:${port}`, file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `errorscope ship: cannot reach the Kafka broker at 127.0.0.1:${port} (ECONNREFUSED): check that the broker ` +
        'is running and that this address is the one it advertises (--brokers or KAFKA_BROKERS)\n',
    );
  });

  test('brokerUnreachable finds the socket code through kafkajs wrappers, and ignores other errors', () => {
    const wrapped = Object.assign(new Error('Connection error: connect ECONNREFUSED 10.0.0.1:9092'), {
      name: 'KafkaJSNumberOfRetriesExceeded',
    });
    expect(brokerUnreachable(wrapped, ['10.0.0.1:9092'])).toBe(
      'cannot reach the Kafka broker at 10.0.0.1:9092 (ECONNREFUSED): check that the broker is running and that ' +
        'this address is the one it advertises (--brokers or KAFKA_BROKERS)',
    );
    expect(brokerUnreachable(new Error('This server does not host this topic-partition'), ['b:9092'])).toBeNull();
  });
});

describe('a pretty-printed JSON file instead of NDJSON', () => {
  const pretty = '{\n  "status": 429,\n  "body": {"error": {"code": "1310"}}\n}\n';

  test('classify says once that input is NDJSON and how to convert it', async () => {
    const dir = await tmp();
    const file = join(dir, 'call.json');
    writeFileSync(file, pretty);
    const r = await run(['classify', file]);
    expect(r.stdout.trim().split('\n')).toHaveLength(4);
    expect(r.stderr).toBe(
      `errorscope classify: ${file} looks like pretty-printed JSON (one object over several lines), but the ` +
        `input must be NDJSON: one JSON object per line. Convert it with: jq -c . ${file} > ${file}.ndjson ` +
        "(a JSON array: jq -c '.[]')\n",
    );
  });

  test('ship says it once too (stdin), and sends nothing', async () => {
    const port = await closedPort();
    const r = await run(['ship', '--to', 'http', '--url', `http://127.0.0.1:${port}`, '-'], {}, pretty);
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n')[0]).toBe(
      'errorscope ship: stdin looks like pretty-printed JSON (one object over several lines), but the input must ' +
        "be NDJSON: one JSON object per line. Convert it with: jq -c . < FILE (a JSON array: jq -c '.[]')",
    );
    expect(r.stderr.match(/pretty-printed/g)).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ accepted: 0, rejected: 4 });
  });

  test.each([
    ['{', true],
    ['[', true],
    ['  {"status": 429,', true],
    ['{"status": 429}', false],
    ['"status": 429,', false],
    ['', false],
  ])('looksLikeMultiLineJson(%j) = %s', (line, want) => expect(looksLikeMultiLineJson(line)).toBe(want));
});

describe('ship --to kafka and --to http refuse the same lines', () => {
  // Lines the receiving end refuses for their values, not their syntax: before, ship passed them to
  // Kafka (where the worker dead-lettered them) while HTTP ingest refused them at once.
  const lines = [
    '{"url":"https://open.bigmodel.cn/api/paas/v4/chat/completions","status":429,"body":{"error":{"code":"1310"}}}',
    '{"url":"https://api.openai.com/v1/chat/completions","status":200}',
    '{"status":200,"model":{"name":"glm-4.6"}}',
    '{"ts":"yesterday","status":200}',
    '{"status":200,"latency_ms":"fast"}',
    '[1,2]',
    '{"status":',
  ];

  test('what ship accepts the ingest endpoint accepts, and ship refuses the rest with the same reasons', () => {
    const now = Date.now();
    const server = classifyBatch(
      lines.map((l) => ({ value: l, fallbackTs: now })),
      { maxBytes: 1_048_576 },
    );
    const serverReasons = new Map(server.rejected.map((r) => [r.index, r.reason]));
    const prepared = lines.map((l) => prepareLine(l, fromEnvelope));
    expect(prepared.map((p) => p.ok)).toEqual([true, true, false, false, false, false, false]);
    prepared.forEach((p, i) => {
      if (p.ok) expect(serverReasons.has(i)).toBe(false);
      else expect(p.reason).toBe(serverReasons.get(i));
    });
    // The shipped text (key replaced by its fingerprint) passes the server's checks too.
    const shipped = prepared.flatMap((p) => (p.ok ? [p.text] : []));
    const again = classifyBatch(
      shipped.map((value) => ({ value, fallbackTs: now })),
      { maxBytes: 1_048_576 },
    );
    expect(again.rejected).toEqual([]);
  });
});
