// The single entry point of every errorscope process (bin/errorscope.js calls main()).
import type { Command, CommandIo } from './command.js';
import { unknownFlag, unknownFlagMessage } from './usage.js';

// A command's module is loaded when it runs, and loads its heavy modules (kafkajs, chDB, fastify) only
// when it needs them, so `classify` never loads them. Its summary is stated in its own file: the
// command list below loads every command to read them.
const COMMANDS: Record<string, () => Promise<Command>> = {
  start: async () => (await import('./commands/start.js')).command,
  ingest: async () => (await import('./commands/ingest.js')).command,
  serve: async () => (await import('./commands/serve.js')).command,
  migrate: async () => (await import('./commands/migrate.js')).command,
  classify: async () => (await import('./commands/classify.js')).command,
  ship: async () => (await import('./commands/ship.js')).command,
  demo: async () => (await import('./commands/demo.js')).command,
};

async function usage(): Promise<string> {
  const summaries = await Promise.all(
    Object.entries(COMMANDS).map(async ([name, load]): Promise<[string, string]> => [name, (await load()).summary]),
  );
  return [
    'errorscope: tells you why your LLM API calls fail.',
    '',
    'usage: errorscope <command> [options]    (errorscope <command> --help for details)',
    '',
    'commands:',
    ...summaries.map(([name, summary]) => `  ${name.padEnd(10)} ${summary}`),
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
    fullIo.stdout.write(await usage());
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    fullIo.stderr.write(`errorscope: unknown command '${name}'\n\n${await usage()}`);
    return 2;
  }
  const command = await load();
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
