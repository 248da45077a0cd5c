// The single entry point of every errorscope process (bin/errorscope.js calls main()).
// Each command lives in its own module and is loaded lazily, so `classify` never loads kafkajs or chDB.

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

const COMMANDS: Record<string, () => Promise<Command>> = {
  // name: async () => (await import('./name.js')).command,
  classify: async () => (await import('./classify.js')).command,
  serve: async () => (await import('./serve.js')).command,
  migrate: async () => (await import('./migrate.js')).command,
  ingest: async () => (await import('./ingest.js')).command,
  start: async () => (await import('./start.js')).command,
  ship: async () => (await import('./ship.js')).command,
  demo: async () => (await import('./demo.js')).command,
};

function usage(): string {
  return [
    'errorscope: tells you why your LLM API calls fail.',
    '',
    'usage: errorscope <command> [options]    (errorscope <command> --help for details)',
    '',
    'commands:',
    ...Object.keys(COMMANDS).map((name) => `  ${name}`),
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
  const load = COMMANDS[name];
  if (!load) {
    fullIo.stderr.write(`errorscope: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    fullIo.stdout.write(`${command.help.trimEnd()}\n`);
    return 0;
  }
  return command.run(rest, fullIo);
}
