import { describe, expect, test } from 'vitest';
import { parseServeArgs } from '../../services/cli/commands/serve.js';
import { main } from '../../services/cli/main.js';
import { ConfigError } from '../../services/config.js';
import { commandIo } from '../helpers/streams.js';

describe('errorscope serve', () => {
  test.each([
    [[], {}],
    [['--host', '0.0.0.0'], { HOST: '0.0.0.0' }],
    [['--port=9000', '--host=::1'], { PORT: '9000', HOST: '::1' }],
  ])('parseServeArgs(%j)', (args, want) => expect(parseServeArgs(args)).toEqual(want));

  test.each([[['--nope']], [['--port']], [['--host', '']]])('rejects %j', (args) => {
    expect(() => parseServeArgs(args)).toThrow(ConfigError);
  });

  test('--help documents the command', async () => {
    const t = commandIo({});
    expect(await main(['serve', '--help'], t.io)).toBe(0);
    expect(t.text().stdout).toMatch(/usage: errorscope serve/);
    expect(t.text().stdout).toMatch(/API_TOKENS/);
  });

  test('refuses a non-loopback HOST without tokens (exit 2, says how to fix), before opening ClickHouse', async () => {
    const t = commandIo({ HOST: '0.0.0.0', CHDB_PATH: '/nonexistent/never-created' });
    expect(await main(['serve'], t.io)).toBe(2);
    expect(t.text().stderr).toMatch(/API_TOKENS is empty.*ALLOW_NO_AUTH=true/);
  });

  test('bad configuration and bad flags are usage errors', async () => {
    const a = commandIo({ PORT: 'eighty' });
    expect(await main(['serve'], a.io)).toBe(2);
    expect(a.text().stderr).toMatch(/PORT/);
    const b = commandIo({});
    expect(await main(['serve', '--bogus'], b.io)).toBe(2);
    expect(b.text().stderr).toMatch(/unknown option '--bogus'/);
  });
});
