import { describe, expect, it } from 'vitest';
import { createLogger, usePretty } from '../../services/cli/boot.js';
import { parseConfig } from '../../services/config.js';
import { capture, tick } from '../helpers/streams.js';

describe('log format', () => {
  it.each([
    ['auto', true, true],
    ['auto', false, false],
    ['json', true, false],
    ['json', false, false],
    ['pretty', false, true],
    ['pretty', true, true],
  ] as const)('LOG_FORMAT=%s, stdout a TTY: %s -> pretty %s', (format, tty, want) => {
    expect(usePretty(format, tty)).toBe(want);
  });

  it('LOG_FORMAT is validated and defaults to auto', () => {
    expect(parseConfig({}).LOG_FORMAT).toBe('auto');
    expect(() => parseConfig({ LOG_FORMAT: 'yaml' })).toThrow(/LOG_FORMAT/);
  });

  it('pretty: one line per event with local time, level, message and fields; secrets redacted', async () => {
    const out = capture();
    const log = createLogger({ LOG_LEVEL: 'info', LOG_FORMAT: 'pretty' }, { svc: 'start', destination: out.stream });
    log.info({ url: 'http://127.0.0.1:8080', api_key: 'sk-secret-123' }, 'errorscope is up');
    log.warn('second event');
    await tick();
    const lines = out.text().trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] INFO: errorscope is up /);
    expect(lines[0]).toContain('"url":"http://127.0.0.1:8080"');
    expect(lines[0]).not.toContain('sk-secret-123');
    expect(lines[1]).toMatch(/ WARN: second event$/);
    expect(out.text()).not.toContain('"level"');
  });

  it('json: one JSON object per line, the time in epoch ms, secrets redacted', async () => {
    const out = capture();
    const log = createLogger({ LOG_LEVEL: 'info', LOG_FORMAT: 'json' }, { svc: 'ingest', destination: out.stream });
    log.info({ api_key: 'sk-secret-123' }, 'ingest worker started');
    await tick();
    const line = JSON.parse(out.text().trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, svc: 'ingest', msg: 'ingest worker started', api_key: '[Redacted]' });
    expect(line.time).toEqual(expect.any(Number));
  });

  it('pretty: requests are logged only when they fail; JSON keeps every request line', async () => {
    const requests = (log: ReturnType<typeof createLogger>) => {
      const child = log.child({ reqId: 'req-1' });
      child.info({ req: { method: 'GET', url: '/api/v1/series' } }, 'incoming request');
      child.info({ res: { statusCode: 200 }, responseTime: 3 }, 'request completed');
      child.info({ req: { method: 'GET', url: '/api/v1/nope' } }, 'incoming request');
      child.info({ res: { statusCode: 404 }, responseTime: 1 }, 'request completed');
    };
    const pretty = capture();
    requests(createLogger({ LOG_LEVEL: 'info', LOG_FORMAT: 'pretty' }, { destination: pretty.stream }));
    const json = capture();
    requests(createLogger({ LOG_LEVEL: 'info', LOG_FORMAT: 'json' }, { destination: json.stream }));
    await tick();
    const lines = pretty.text().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/ INFO: request completed .*"statusCode":404/);
    expect(json.text().trimEnd().split('\n')).toHaveLength(4);
  });

  it('auto on a terminal is pretty, auto on a pipe is JSON', async () => {
    const tty = capture();
    createLogger({ LOG_LEVEL: 'info', LOG_FORMAT: 'auto' }, { destination: tty.stream, isTty: true }).info('hello');
    const pipe = capture();
    createLogger({ LOG_LEVEL: 'info', LOG_FORMAT: 'auto' }, { destination: pipe.stream, isTty: false }).info('hello');
    await tick();
    expect(tty.text()).toMatch(/INFO: hello\n$/);
    expect(JSON.parse(pipe.text()).msg).toBe('hello');
  });
});
