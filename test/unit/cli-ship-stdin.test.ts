// The same lines piped to `ship --to http` twice carry the same Idempotency-Keys (the ingest endpoint
// stores a key's block once), like the same file shipped twice; different lines carry different keys.
// The receiving end here is a plain HTTP server that records the requests and answers like the ingest
// endpoint.
import { createServer, type IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main } from '../../services/cli/main.js';

const keys: string[] = [];
const server = createServer((req: IncomingMessage, res) => {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    keys.push(String(req.headers['idempotency-key']));
    const lines = body.split('\n').filter(Boolean).length;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ accepted: lines, rejected: [] }));
  });
});
let url = '';

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

async function shipStdin(text: string): Promise<string[]> {
  const before = keys.length;
  const stdin = new PassThrough();
  stdin.end(text);
  const code = await main(['ship', '--to', 'http', '--url', url, '--batch', '2', '-'], {
    stdin,
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    env: {},
  });
  expect(code).toBe(0);
  return keys.slice(before);
}

const line = (status: number, i: number) =>
  JSON.stringify({ ts: 1_796_000_000_000 + i, url: 'https://api.openai.com/v1/chat/completions', status });

it('the same lines on stdin twice: the same keys; other lines: other keys', async () => {
  const text = `${[200, 429, 500].map(line).join('\n')}\n`;
  const first = await shipStdin(text);
  const second = await shipStdin(text);
  expect(first).toHaveLength(2);
  expect(second).toEqual(first);
  const other = await shipStdin(`${[200, 429, 503].map(line).join('\n')}\n`);
  expect(other[0]).toBe(first[0]);
  expect(other[1]).not.toBe(first[1]);
});
