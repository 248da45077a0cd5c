// The command kit: flags -> overrides -> configuration -> exit 2 with the usage line, written once.
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { defineCommand, UsageError } from '../../services/cli/command.js';
import { command as classify } from '../../services/cli/commands/classify.js';
import { command as demo } from '../../services/cli/commands/demo.js';
import { command as ingest } from '../../services/cli/commands/ingest.js';
import { command as migrate } from '../../services/cli/commands/migrate.js';
import { command as serve } from '../../services/cli/commands/serve.js';
import { command as ship } from '../../services/cli/commands/ship.js';
import { command as start } from '../../services/cli/commands/start.js';
import { main } from '../../services/cli/main.js';
import type { Config } from '../../services/config.js';
import { ConfigError } from '../../services/config.js';
import { commandIo } from '../helpers/streams.js';

const HELP = 'usage: errorscope probe [--port P] [--mode M]\n\n  --port P   listen port (PORT)\n';
const USAGE_TAIL = 'usage: errorscope probe [--port P] [--mode M]\n(errorscope probe --help lists every option)\n';

/** A command that records what it was run with. */
function probe(check?: (config: Config, mode: string) => void) {
  const seen: { config?: Config; mode?: string } = {};
  const command = defineCommand({
    name: 'probe',
    summary: 'a test command',
    help: HELP,
    parse(args) {
      const { values } = parseArgs({ args, options: { port: { type: 'string' }, mode: { type: 'string' } } });
      if (values.mode !== undefined && values.mode !== 'a' && values.mode !== 'b')
        throw new UsageError('--mode must be a or b');
      const overrides: Record<string, string> = {};
      if (values.port !== undefined) overrides.PORT = values.port;
      return { mode: values.mode ?? 'a', overrides };
    },
    async run({ mode }, config) {
      check?.(config, mode);
      seen.config = config;
      seen.mode = mode;
      return 0;
    },
  });
  return { command, seen };
}

describe('defineCommand: flags -> overrides -> config', () => {
  it('a flag overrides the environment; without it the environment applies', async () => {
    const a = probe();
    expect(await a.command.run(['--port', '9001', '--mode', 'b'], commandIo({ PORT: '7000' }).io)).toBe(0);
    expect(a.seen.config?.PORT).toBe(9001);
    expect(a.seen.mode).toBe('b');
    const b = probe();
    expect(await b.command.run([], commandIo({ PORT: '7000' }).io)).toBe(0);
    expect(b.seen.config?.PORT).toBe(7000);
    expect(b.seen.mode).toBe('a');
  });

  it.each([
    [['--mode', 'c'], {}, 'errorscope probe: --mode must be a or b\n'],
    [['--port', '99999'], {}, 'errorscope probe: --port 99999: Too big: expected number to be <=65535\n'],
    [[], { PORT: '99999' }, 'errorscope probe: PORT: Too big: expected number to be <=65535\n'],
  ] as const)('%j with %j: exit 2, the message, the usage line, nothing run', async (args, env, first) => {
    const p = probe();
    const t = commandIo(env);
    expect(await p.command.run([...args], t.io)).toBe(2);
    expect(t.text().stderr).toBe(first + USAGE_TAIL);
    expect(t.text().stdout).toBe('');
    expect(p.seen.config).toBeUndefined();
  });

  it("node:util parseArgs's own errors are usage errors too", async () => {
    const p = probe();
    const t = commandIo();
    expect(await p.command.run(['--nope'], t.io)).toBe(2);
    // The first line is node's wording (it varies between versions); it names the option.
    expect(t.text().stderr).toMatch(/^errorscope probe: [^\n]*'--nope'[^\n]*\n/);
    expect(t.text().stderr.endsWith(USAGE_TAIL)).toBe(true);
    expect(p.seen.config).toBeUndefined();
  });

  it('a UsageError from a check that needs the configuration is reported the same way', async () => {
    const p = probe((config) => {
      if (config.PORT === 1) throw new UsageError('port 1 needs root');
    });
    const t = commandIo({ PORT: '1' });
    expect(await p.command.run([], t.io)).toBe(2);
    expect(t.text().stderr).toBe(`errorscope probe: port 1 needs root\n${USAGE_TAIL}`);
  });

  it('any other failure is not a usage error: it is thrown, not turned into exit 2', async () => {
    const p = probe(() => {
      throw new Error('disk full');
    });
    await expect(p.command.run([], commandIo().io)).rejects.toThrow('disk full');
  });

  it('a usage error is a configuration error (a flag is configuration given on the command line)', () => {
    expect(new UsageError('x')).toBeInstanceOf(ConfigError);
    expect(new UsageError('x').name).toBe('UsageError');
  });
});

describe('summaries are stated once, in the commands', () => {
  it('errorscope --help lists each command with the summary its own module states', async () => {
    const t = commandIo();
    expect(await main(['--help'], t.io)).toBe(0);
    const commands = { start, ingest, serve, migrate, classify, ship, demo };
    for (const [name, command] of Object.entries(commands)) {
      expect(command.summary.length).toBeGreaterThan(10);
      expect(t.text().stdout).toContain(`  ${name.padEnd(10)} ${command.summary}\n`);
    }
  });
});
