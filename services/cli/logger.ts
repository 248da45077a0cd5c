// The services' logger: JSON lines for machines (the default when stdout is not a terminal, or with
// LOG_FORMAT=json), one readable line per event for a person at a terminal (LOG_FORMAT=pretty, or
// auto on a TTY). Pretty printing runs in-process (pino-pretty as a stream, no worker thread), with
// the local time of day, and never prints a redacted field.
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import pretty from 'pino-pretty';
import type { Config } from '../config.js';

/** Fields that may hold a secret: removed from every log line. */
const REDACT = ['req.headers.authorization', 'headers.authorization', 'api_key', '*.api_key'];

export function usePretty(format: Config['LOG_FORMAT'], stdoutIsTty: boolean): boolean {
  return format === 'pretty' || (format === 'auto' && stdoutIsTty);
}

export interface CreateLoggerOptions {
  svc?: string;
  /** Where lines go (tests); default stdout. */
  destination?: DestinationStream & NodeJS.WritableStream;
  /** Whether stdout is a terminal; default process.stdout.isTTY. */
  isTty?: boolean;
}

export function createLogger(cfg: Pick<Config, 'LOG_LEVEL' | 'LOG_FORMAT'>, opts: CreateLoggerOptions = {}): Logger {
  const base = opts.svc ? { svc: opts.svc } : {};
  const options = { level: cfg.LOG_LEVEL, base, redact: REDACT };
  if (!usePretty(cfg.LOG_FORMAT, opts.isTty ?? process.stdout.isTTY === true)) {
    return opts.destination ? pino(options, opts.destination) : pino(options);
  }
  // For a person, a line per request is noise (the overview page polls every 30 s): on a terminal only
  // the requests that failed are logged, as one line when they complete.
  const quietRequests: LoggerOptions['hooks'] = {
    logMethod(args, method) {
      const [first, msg] = args as unknown as [Record<string, unknown> | string, string | undefined];
      if (msg === 'incoming request') return;
      if (msg === 'request completed' && typeof first === 'object') {
        const status = (first.res as { statusCode?: number } | undefined)?.statusCode ?? 0;
        if (status < 400) return;
      }
      method.apply(this, args);
    },
  };
  const stream = pretty({
    destination: opts.destination ?? 1,
    colorize: opts.destination ? false : process.stdout.isTTY === true,
    singleLine: true,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss',
    ignore: 'pid,hostname,svc',
    sync: true,
  });
  return pino({ ...options, hooks: quietRequests }, stream);
}
