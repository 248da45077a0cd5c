// `errorscope ship`: sends NDJSON API-call logs to the Kafka topic (keyed by key fingerprint) or to
// a running errorscope's HTTP ingest endpoint. Raw API keys never leave this process: they are
// replaced by their fingerprint before anything is sent.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { classifyBatch, DEFAULT_MAX_BYTES, fingerprintKey, parseLine } from '../../core/index.js';
import { addBeyondRetention, type BeyondRetention, emptyBeyondRetention } from '../../core/retention.js';
import type { Envelope } from '../../core/types.js';
import { openSink } from '../boot.js';
import { defineCommand, UsageError } from '../command.js';
import { fromEnvelope, GATEWAY_MAPPERS, type GatewayMapper } from '../gateway-logs.js';
import { Progress, type ProgressState } from '../progress.js';
import { SinkUnreachable } from '../ship-sinks.js';
import { looksLikeMultiLineJson, ndjsonHint } from '../usage.js';

const HELP = `usage: errorscope ship [options] <file...|->

Sends NDJSON logs (one JSON object per line) to errorscope: to the Kafka topic when brokers are
configured (--to kafka), else to a running errorscope's HTTP ingest endpoint (--to http).
Raw API keys are replaced by their fingerprint before sending. Prints a progress bar on a TTY and,
at the end, one JSON summary line on stdout: accepted and rejected lines, with the reasons.
Lines are checked as the receiving end checks them, so kafka and http refuse the same lines. Over
http each batch carries an Idempotency-Key named by its place in the file (on stdin: by its content),
so shipping the same file, or piping the same lines, again counts them once.

options:
  --to kafka|http        destination (default: kafka when KAFKA_BROKERS is set, else http)
  --from FORMAT          input format: envelope (default), new-api (new-api log rows),
                         access-log (JSON access log lines of a proxy/gateway)
  --url URL              errorscope base URL for --to http            (ERRORSCOPE_URL)
  --token TOKEN          bearer token for --to http                   (ERRORSCOPE_TOKEN)
  --brokers LIST         Kafka brokers host:port,...                  (KAFKA_BROKERS)
  --topic NAME           Kafka topic                                  (KAFKA_TOPIC)
  --batch N              lines per request/produce batch (default 1000)
  --resume               continue a file from where an interrupted ship stopped
  --rejects FILE         write every rejected line, with its reason, as NDJSON to FILE
  --strict               exit 1 when any line was rejected
  -h, --help             this help

exit codes: 0 done (rejected lines are reported, not fatal), 1 destination unreachable or
--strict with rejects, 2 usage error.
`;

interface Rejected {
  file: string;
  line: number;
  reason: string;
  text: string;
}

interface Summary {
  accepted: number;
  rejected: number;
  /**
   * Accepted calls already past each table's retention, dropped there by its TTL (HTTP only: the
   * endpoint counts them; a Kafka worker counts them in its metrics).
   */
  beyond_retention?: BeyondRetention;
  skipped_blank: number;
  reasons: Record<string, number>;
  bytes: number;
  seconds: number;
  destination: string;
  resumed_from: Record<string, number>;
}

interface Pending {
  file: string;
  line: number;
  text: string;
  key: string;
  endOffset: number;
}

/** Splits a byte stream into lines, reporting the byte offset after each line (for resuming). */
export async function* readLines(
  stream: AsyncIterable<Buffer | string>,
  startOffset = 0,
): AsyncGenerator<{ text: string; endOffset: number }> {
  let offset = startOffset;
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let data = rest.length > 0 ? Buffer.concat([rest, buf]) : buf;
    let nl = data.indexOf(10);
    while (nl !== -1) {
      const lineBuf = data.subarray(0, nl);
      offset += nl + 1;
      yield { text: lineBuf.toString('utf8').replace(/\r$/, ''), endOffset: offset };
      data = data.subarray(nl + 1);
      nl = data.indexOf(10);
    }
    rest = Buffer.from(data);
  }
  if (rest.length > 0) yield { text: rest.toString('utf8').replace(/\r$/, ''), endOffset: offset + rest.length };
}

/**
 * Turns one input line into what is sent: the envelope with the raw key replaced by its fingerprint,
 * and the Kafka key. Pure; exported for tests.
 */
export function prepareLine(
  text: string,
  mapper: GatewayMapper,
  maxBytes = DEFAULT_MAX_BYTES,
): { ok: true; text: string; key: string } | { ok: false; reason: string } {
  const parsed = parseLine(text, maxBytes);
  if (!parsed.ok) return parsed;
  if (mapper === fromEnvelope) {
    // Lines that already are envelopes: refused with the receiving end's own words.
    const direct = classifyBatch([{ value: text, fallbackTs: Date.now() }], { maxBytes }).rejected[0];
    if (direct) return { ok: false, reason: direct.reason };
  }
  const mapped = mapper(parsed.value);
  if (!mapped.ok) return mapped;
  const out = shippable(mapped.envelope);
  // The checks the receiving end applies (HTTP ingest and the Kafka worker run the same function), so
  // --to kafka and --to http refuse the same lines for the same reasons, before anything is sent.
  const checked = classifyBatch([{ value: out.text, fallbackTs: Date.now() }], { maxBytes }).rejected[0];
  if (checked) return { ok: false, reason: checked.reason };
  return { ok: true, ...out };
}

/** The envelope as it travels: raw API key replaced by its fingerprint, keyed by that fingerprint. */
export function shippable(input: Envelope): { text: string; key: string } {
  const envelope: Envelope = { ...input };
  if (typeof envelope.api_key === 'string' && envelope.api_key !== '') {
    envelope.key_id = fingerprintKey(envelope.api_key);
  }
  delete envelope.api_key;
  return { text: JSON.stringify(envelope), key: typeof envelope.key_id === 'string' ? envelope.key_id : '' };
}

interface ResumeState {
  file: string;
  head: string;
  offset: number;
  line: number;
}

/** Where an interrupted ship of `file` records how far it got. */
export const statePath = (file: string) => `${file}.errorscope-ship.json`;

/** Identifies a file by its first 64 KiB, so a resumed ship continues the same file, not a rotated one. */
export async function fileHead(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { start: 0, end: 65_535 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function loadResume(file: string): Promise<ResumeState | null> {
  try {
    const state = JSON.parse(await readFile(statePath(file), 'utf8')) as ResumeState;
    const st = await stat(file);
    if (state.file !== file || state.offset > st.size || state.head !== (await fileHead(file))) return null;
    return state;
  } catch {
    return null;
  }
}

export const command = defineCommand({
  name: 'ship',
  summary: 'send NDJSON logs to Kafka or the HTTP endpoint',
  help: HELP,
  parse: parseShipArgs,
  async run({ opts }, config, io) {
    const mapper = GATEWAY_MAPPERS[opts.from];
    if (!mapper) throw new UsageError(`--from must be one of ${Object.keys(GATEWAY_MAPPERS).join(', ')}`);
    const sink = openSink(config, opts.to);

    const files = opts.files.length ? opts.files : ['-'];
    let totalBytes: number | null = 0;
    for (const f of files) {
      if (f === '-') totalBytes = null;
      else {
        try {
          const size = (await stat(f)).size;
          if (totalBytes !== null) totalBytes += size;
        } catch {
          io.stderr.write(`errorscope ship: cannot read ${f}: no such file\n`);
          return 1;
        }
      }
    }
    const state: ProgressState = { lines: 0, bytes: 0, totalBytes };
    const progress = new Progress(io.stderr, state);
    const summary: Summary = {
      accepted: 0,
      rejected: 0,
      skipped_blank: 0,
      reasons: {},
      bytes: 0,
      seconds: 0,
      destination: sink.describe,
      resumed_from: {},
    };
    const rejects: Rejected[] = [];
    const reject = (r: Rejected) => {
      summary.rejected++;
      const kind = r.reason.replace(/:.*/, '');
      summary.reasons[kind] = (summary.reasons[kind] ?? 0) + 1;
      rejects.push(r);
    };
    let hinted = false;
    const started = Date.now();

    try {
      await sink.connect();
      for (const file of files) {
        const abs = file === '-' ? '-' : resolve(file);
        const resume = opts.resume && abs !== '-' ? await loadResume(abs) : null;
        if (resume) {
          summary.resumed_from[file] = resume.line;
          state.bytes += resume.offset;
        }
        const stream = abs === '-' ? io.stdin : createReadStream(abs, { start: resume?.offset ?? 0 });
        const head = abs === '-' ? '' : await fileHead(abs);
        let lineNo = resume?.line ?? 0;
        let batch: Pending[] = [];
        let batchBytes = 0;
        const flush = async () => {
          if (batch.length === 0) return;
          const first = batch[0]!;
          const last = batch[batch.length - 1]!;
          // Names the batch by where it lies in the file, so a resumed or retried send counts once. stdin
          // has no file to name: its batches are named by their content, so the same lines piped twice
          // count once, like the same file shipped twice.
          const h = createHash('sha256').update(`${abs}|${head}|${first.line}|${last.endOffset}`);
          if (abs === '-') for (const p of batch) h.update(`\n${p.text}`);
          const idem = h.digest('hex').slice(0, 32);
          const result = await sink.send(
            batch.map((p) => ({ key: p.key, value: p.text })),
            idem,
          );
          summary.accepted += result.accepted;
          if (result.beyondRetention) {
            summary.beyond_retention = addBeyondRetention(
              summary.beyond_retention ?? emptyBeyondRetention(),
              result.beyondRetention,
            );
          }
          for (const r of result.rejected) {
            const p = batch[r.index];
            if (p) reject({ file: p.file, line: p.line, reason: r.reason, text: p.text });
          }
          if (abs !== '-') {
            const s: ResumeState = { file: abs, head, offset: last.endOffset, line: last.line };
            await writeFile(statePath(abs), JSON.stringify(s));
          }
          batch = [];
          batchBytes = 0;
        };
        for await (const { text, endOffset } of readLines(stream as AsyncIterable<Buffer>, resume?.offset ?? 0)) {
          lineNo++;
          state.lines++;
          state.bytes += Buffer.byteLength(text) + 1;
          if (text.trim() === '') {
            summary.skipped_blank++;
            continue;
          }
          const prepared = prepareLine(text, mapper, config.INGEST_MAX_MESSAGE_BYTES);
          if (!prepared.ok) {
            if (!hinted && looksLikeMultiLineJson(text.slice(0, 4096))) {
              hinted = true;
              io.stderr.write(ndjsonHint('ship', file));
            }
            reject({ file, line: lineNo, reason: prepared.reason, text });
          } else {
            batch.push({ file, line: lineNo, text: prepared.text, key: prepared.key, endOffset });
            batchBytes += prepared.text.length;
          }
          if (batch.length >= opts.batch || batchBytes >= 900_000) await flush();
          progress.tick();
        }
        await flush();
        if (abs !== '-') await rm(statePath(abs), { force: true });
      }
    } catch (err) {
      progress.done();
      if (err instanceof SinkUnreachable) {
        io.stderr.write(`errorscope ship: ${err.message}\n`);
        // Only a file with delivered lines (now or by an earlier run) has somewhere to resume from.
        if (opts.files.some((f) => f !== '-' && existsSync(statePath(resolve(f)))))
          io.stderr.write('errorscope ship: run again with --resume to continue after the lines already delivered\n');
        return 1;
      }
      throw err;
    } finally {
      await sink.close().catch(() => {});
    }
    progress.done();
    summary.bytes = state.bytes;
    summary.seconds = Math.round((Date.now() - started) / 10) / 100;
    for (const r of rejects.slice(0, 20)) io.stderr.write(`rejected ${r.file}:${r.line}: ${r.reason}\n`);
    if (rejects.length > 20) io.stderr.write(`... and ${rejects.length - 20} more rejected lines\n`);
    if (opts.rejects) {
      await writeFile(opts.rejects, rejects.map((r) => `${JSON.stringify(r)}\n`).join(''));
    }
    io.stdout.write(`${JSON.stringify(summary)}\n`);
    return opts.strict && summary.rejected > 0 ? 1 : 0;
  },
});

function parseShipArgs(args: string[]) {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        to: { type: 'string' },
        from: { type: 'string', default: 'envelope' },
        url: { type: 'string' },
        token: { type: 'string' },
        brokers: { type: 'string' },
        topic: { type: 'string' },
        batch: { type: 'string', default: '1000' },
        resume: { type: 'boolean', default: false },
        rejects: { type: 'string' },
        strict: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const to = values.to as string | undefined;
  if (to !== undefined && to !== 'kafka' && to !== 'http') throw new UsageError('--to must be kafka or http');
  const batch = Number(values.batch);
  if (!Number.isInteger(batch) || batch < 1 || batch > 100_000)
    throw new UsageError('--batch must be an integer from 1 to 100000');
  const overrides: Record<string, string> = {};
  if (typeof values.url === 'string') overrides.ERRORSCOPE_URL = values.url;
  if (typeof values.token === 'string') overrides.ERRORSCOPE_TOKEN = values.token;
  if (typeof values.brokers === 'string') overrides.KAFKA_BROKERS = values.brokers;
  if (typeof values.topic === 'string') overrides.KAFKA_TOPIC = values.topic;
  return {
    overrides,
    opts: {
      to: to as 'kafka' | 'http' | undefined,
      from: String(values.from),
      batch,
      resume: values.resume === true,
      rejects: typeof values.rejects === 'string' ? values.rejects : undefined,
      strict: values.strict === true,
      files: positionals,
    },
  };
}
