// What a command is, and the part of its start-up every command shares: flags -> overrides ->
// configuration, with every mistake on the way reported the same way (what was wrong, the usage line,
// where the full help is) and exit code 2. A command file holds only its flags and its wiring.
import { type Config, ConfigError, parseConfig } from '../config.js';
import { usageError } from './usage.js';

export interface CommandIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Record<string, string | undefined>;
}

export interface Command {
  /** The line `errorscope --help` shows; stated here only. */
  summary: string;
  /** Full help text printed by `errorscope <command> --help`; its first line is the usage line. */
  help: string;
  run(args: string[], io: CommandIo): Promise<number>;
}

/**
 * A mistake on the command line. A flag is configuration given on the command line, so a usage error is
 * a configuration error: both end the command with exit code 2 before anything is opened.
 */
export class UsageError extends ConfigError {
  override name = 'UsageError';
}

/** Flags mapped to configuration variable names, laid over the environment. */
export type Overrides = Record<string, string>;

export interface CommandSpec<P extends { overrides: Overrides }> {
  name: string;
  summary: string;
  help: string;
  /** Reads the arguments; throws UsageError (node:util parseArgs errors count as usage errors too). */
  parse(args: string[]): P;
  /**
   * The command's wiring, with its configuration parsed. A UsageError thrown here (a choice that needs
   * the configuration to be checked, like `--to kafka` without brokers) is reported like one from parse.
   */
  run(parsed: P, config: Config, io: CommandIo): Promise<number>;
}

/** The message of an error that is the user's to fix on the command line or in the environment, else null. */
function usageMessage(err: unknown): string | null {
  if (err instanceof ConfigError) return err.message;
  if ((err as { code?: unknown } | null)?.code?.toString().startsWith('ERR_PARSE_ARGS')) return (err as Error).message;
  return null;
}

/** Writes a usage or configuration error as every command says it, and returns exit code 2. */
function failUsage(io: Pick<CommandIo, 'stderr'>, name: string, help: string, message: string): number {
  io.stderr.write(usageError(name, message, help));
  return 2;
}

/**
 * flags -> overrides -> config -> run. A usage or configuration error found before the command opens
 * anything, or a UsageError it throws while checking its choices, exits 2 with the usage line.
 */
export function defineCommand<P extends { overrides: Overrides }>(spec: CommandSpec<P>): Command {
  return {
    summary: spec.summary,
    help: spec.help,
    async run(args, io) {
      let parsed: P;
      let config: Config;
      try {
        parsed = spec.parse(args);
        config = parseConfig(io.env, parsed.overrides);
      } catch (err) {
        const message = usageMessage(err);
        if (message === null) throw err;
        return failUsage(io, spec.name, spec.help, message);
      }
      try {
        return await spec.run(parsed, config, io);
      } catch (err) {
        if (err instanceof UsageError) return failUsage(io, spec.name, spec.help, err.message);
        throw err;
      }
    },
  };
}
