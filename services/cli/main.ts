// The single entry point of every errorscope process (bin/errorscope.js calls main()).
// Each command lives in its own module and is loaded lazily, so `classify` never loads kafkajs or chDB.
import { unknownFlag, unknownFlagMessage } from './usage.js';

export interface CommandIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Record<string, string | undefined>;
}

export interface Command {
  summary: string;
  /** Full help text printed by `errorscope <command> --help`. */
  help: string;
  run(args: string[], io: CommandIo): Promise<number>;
}

// Summaries live here (not in the modules) so `errorscope --help` loads no command.
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  start: {
    summary: 'migrate, serve the API, ingest over HTTP (and Kafka when configured); --demo for traffic',
    load: async () => (await import('./commands/start.js')).command,
  },
  ingest: {
    summary: 'the Kafka -> ClickHouse worker',
    load: async () => (await import('./commands/ingest.js')).command,
  },
  serve: {
    summary: 'migrate, then serve the query API',
    load: async () => (await import('./commands/serve.js')).command,
  },
  migrate: {
    summary: 'apply the schema migrations',
    load: async () => (await import('./commands/migrate.js')).command,
  },
  classify: {
    summary: 'classify NDJSON envelopes from stdin or files',
    load: async () => (await import('./commands/classify.js')).command,
  },
  ship: {
    summary: 'send NDJSON logs to Kafka or the HTTP endpoint',
    load: async () => (await import('./commands/ship.js')).command,
  },
  demo: {
    summary: 'generate realistic traffic, live or --backfill',
    load: async () => (await import('./commands/demo.js')).command,
  },
};

function usage(): string {
  return [
    'errorscope: tells you why your LLM API calls fail.',
    '',
    'usage: errorscope <command> [options]    (errorscope <command> --help for details)',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`),
    '',
  ].join('\n');
}

export async function main(argv: string[], io?: Partial<CommandIo>): Promise<number> {
  const fullIo: CommandIo = {
    stdin: io?.stdin ?? process.stdin,
    stdout: io?.stdout ?? process.stdout,
    stderr: io?.stderr ?? process.stderr,
    env: io?.env ?? process.env,
  };
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    fullIo.stdout.write(usage());
    return name ? 0 : 2;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    fullIo.stderr.write(`errorscope: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    fullIo.stdout.write(`${command.help.trimEnd()}\n`);
    return 0;
  }
  const flag = unknownFlag(rest, command.help);
  if (flag) {
    fullIo.stderr.write(unknownFlagMessage(name, flag, command.help));
    return 2;
  }
  return command.run(rest, fullIo);
}
