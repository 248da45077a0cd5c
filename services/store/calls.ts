// The one write path into ClickHouse (storage v2, migrations/0009): a block of classified calls is
// aggregated here before it is inserted, into raw rows for the failed calls (errors_v2) and one
// calls_1m_v2 row per minute x dimension set, whose views cascade to the 1h and 1d rollups and
// unknown_codes_v2. Both inserts are derived deterministically from the block, so a block retried
// with the same token produces the same two inserts with the same two tokens and lands once.
// The v1 path (calls_in_v1, a Null table fanned out by views) stays for comparisons and old stores.
import type { ClickHouseClient } from '@clickhouse/client';
import { addLatency, type Histogram, histogramArrays } from '../core/latency-histogram.js';
import type { CallRecord } from '../core/types.js';
import { insertBlock } from './insert.js';

/** Where a call came from. Kafka coordinates are empty/-1 for other sources. */
export interface Transport {
  src: 'kafka' | 'http' | 'backfill';
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: number;
}

export type StoredCall = CallRecord & Transport;

/** Narrow write interface the ingestion paths depend on (tests can count calls through it). */
export interface CallInserter {
  /**
   * Inserts rows in one block. With a `token`, a retry of the same block is dropped by ClickHouse
   * (insert_deduplication_token + non_replicated_deduplication_window).
   */
  insertCalls(rows: StoredCall[], token?: string): Promise<void>;
}

/**
 * A block being filled with calls, added in order in as many parts as the caller likes (the Kafka
 * worker adds a segment's calls fetch by fetch), then inserted once. What it inserts depends only on
 * the calls and their order, not on how they were split into parts, so a segment redelivered in
 * other fetch sizes gives the same block. It keeps the calls aggregated, not the calls themselves.
 */
interface CallBlock {
  add(rows: readonly StoredCall[]): void;
  /** Calls added so far. */
  readonly calls: number;
  /** A rough count of the bytes the block holds (its insert bodies and rollup groups), to bound it. */
  readonly bytes: number;
  /** Inserts what was added, under `token` as for insertCalls. */
  insert(token?: string): Promise<void>;
}

/**
 * What a block of calls becomes before it is inserted (storage v2): the failed calls' rows and the
 * 1m rollup rows, as insert bodies. Plain data: a classify thread builds it (callAggregate) and
 * posts it to the thread that inserts it.
 */
export interface BuiltBlock {
  calls: number;
  /**
   * errors_v2 rows, JSONCompactEachRow in ERROR_COLUMNS order, in chunks whose concatenation is the
   * body (none when no call failed). Chunks, not one string: a classify thread posts the block, and
   * V8 serializing one large concatenated string first copies it whole, which ran a thread out of
   * memory in native code and took the process with it (test/int/classify-pool.int.test.ts).
   */
  errors: string[];
  /** calls_1m_v2 rows, JSONCompactEachRow in ROLLUP_COLUMNS order, in chunks as `errors`. */
  rollup: string[];
  groups: number;
}

/** The write interface of the Kafka worker: blocks filled across fetches, in-process or built elsewhere. */
export interface BlockInserter {
  block(): CallBlock;
  /** Inserts a block a classify thread built (callAggregate), under `token` as for insertCalls. */
  insertBuilt(built: BuiltBlock, token?: string): Promise<void>;
}

/** insertCalls through a block: the one way both interfaces insert. */
function inserterOf(block: () => CallBlock, insertBuilt: BlockInserter['insertBuilt']): CallInserter & BlockInserter {
  return {
    block,
    insertBuilt,
    async insertCalls(rows, token) {
      const b = block();
      b.add(rows);
      await b.insert(token);
    },
  };
}

/** Every column of calls_in_v1, in the order the compact rows are written. */
export const CALL_COLUMNS = [
  'ts',
  'provider',
  'model',
  'key_fp',
  'tenant',
  'endpoint',
  'http_status',
  'category',
  'code',
  'known',
  'retryable',
  'reset_at',
  'message',
  'request_id',
  'stream',
  'finish_reason',
  'latency_ms',
  'prompt_tokens',
  'completion_tokens',
  'total_tokens',
  'body',
  'src',
  'kafka_topic',
  'kafka_partition',
  'kafka_offset',
] as const satisfies readonly (keyof StoredCall)[];

/**
 * Epoch ms as decimal seconds ("1700000000.123"): DateTime64(3) reads it exactly with the basic
 * date_time_input_format, which parses ~20-30% faster than best_effort.
 */
function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** One JSONCompactEachRow line per call, in CALL_COLUMNS order. */
function compactRows(rows: readonly StoredCall[]): string {
  let text = '';
  for (const r of rows) {
    const line = CALL_COLUMNS.map((c) =>
      c === 'ts' ? seconds(r.ts) : c === 'reset_at' ? (r.reset_at === null ? null : seconds(r.reset_at)) : r[c],
    );
    text += `${JSON.stringify(line)}\n`;
  }
  return text;
}

/** The v1 write path: every call into calls_in_v1 (kept to compare v1 and v2 on the same calls). */
export function clickhouseInserterV1(client: ClickHouseClient, database: string): CallInserter & BlockInserter {
  const table = `${database}.calls_in_v1`;
  return inserterOf(() => {
    let body = '';
    let calls = 0;
    return {
      add(rows) {
        body += compactRows(rows);
        calls += rows.length;
      },
      get calls() {
        return calls;
      },
      get bytes() {
        return body.length;
      },
      async insert(token) {
        // One string sent as ONE chunk (insertBlock): client.insert streams one chunk per row, which the
        // embedded engine's connection concatenates with an async iteration per row. JSONCompactEachRow
        // (arrays, no repeated keys): the embedded engine parses JSONEachRow ~4x slower.
        await insertBlock(client, {
          table,
          columns: CALL_COLUMNS,
          format: 'JSONCompactEachRow',
          body,
          rows: calls,
          token: token ?? 'fresh',
          settings: { date_time_input_format: 'basic' },
        });
      },
    };
  }, refuseBuilt);
}

/** The v1 path stores every call: a v2 block (failed calls and rollup rows) cannot be stored there. */
async function refuseBuilt(): Promise<void> {
  throw new Error('the v1 write path takes calls, not v2 blocks built by a classify thread');
}

/** Columns of errors_v2 written by the inserter (the tokens are in the rollups only). */
const ERROR_COLUMNS = CALL_COLUMNS.filter(
  (c) => c !== 'prompt_tokens' && c !== 'completion_tokens' && c !== 'total_tokens',
);

/** Columns of calls_1m_v2, in the order of RollupRow's compact form. */
const ROLLUP_COLUMNS = [
  'bucket',
  'provider',
  'model',
  'key_fp',
  'tenant',
  'category',
  'code',
  'http_status',
  'calls',
  'errors',
  'prompt_tokens',
  'completion_tokens',
  'total_tokens',
  'latency_sum',
  'latency_count',
  'latency_hist',
  'last_reset_at',
] as const;

/** One pre-aggregated calls_1m_v2 row: a minute x dimension set of a block. */
export interface RollupRow {
  /** Minute start, epoch seconds. */
  bucket: number;
  provider: string;
  model: string;
  key_fp: string;
  tenant: string;
  category: string;
  code: string;
  http_status: number;
  calls: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  latency_sum: number;
  latency_count: number;
  latency_hist: Histogram;
  /** Epoch ms, the latest reset time of the group's calls. */
  last_reset_at: number | null;
}

/** Folds one call into its minute x dimension set's group (created in first-seen order). */
function addToRollup(groups: Map<string, RollupRow>, r: StoredCall): void {
  const bucket = Math.floor(r.ts / 60_000) * 60;
  const key = `${bucket}\u0001${r.provider}\u0001${r.model}\u0001${r.key_fp}\u0001${r.tenant}\u0001${r.category}\u0001${r.code}\u0001${r.http_status}`;
  let g = groups.get(key);
  if (!g) {
    g = {
      bucket,
      provider: r.provider,
      model: r.model,
      key_fp: r.key_fp,
      tenant: r.tenant,
      category: r.category,
      code: r.code,
      http_status: r.http_status,
      calls: 0,
      errors: 0,
      prompt_tokens: 0,
      completion_tokens: 0,
      total_tokens: 0,
      latency_sum: 0,
      latency_count: 0,
      latency_hist: new Map(),
      last_reset_at: null,
    };
    groups.set(key, g);
  }
  g.calls++;
  if (r.category !== 'ok') g.errors++;
  g.prompt_tokens += r.prompt_tokens;
  g.completion_tokens += r.completion_tokens;
  g.total_tokens += r.total_tokens;
  if (r.latency_ms !== null) {
    g.latency_sum += r.latency_ms;
    g.latency_count++;
    addLatency(g.latency_hist, r.latency_ms);
  }
  if (r.reset_at !== null && (g.last_reset_at === null || r.reset_at > g.last_reset_at)) g.last_reset_at = r.reset_at;
}

/**
 * The 1m rollup rows of a block, in first-seen order (so the same block always gives the same rows
 * in the same order: the insert is a deterministic function of the block). Pure.
 */
export function rollupRows(rows: readonly StoredCall[]): RollupRow[] {
  const groups = new Map<string, RollupRow>();
  for (const r of rows) addToRollup(groups, r);
  return [...groups.values()];
}

/** Rollup rows per chunk of a built block's body (BuiltBlock). */
const ROLLUP_CHUNK_ROWS = 4096;

function compactRollup(rows: readonly RollupRow[]): string[] {
  const chunks: string[] = [];
  let text = '';
  for (const [i, g] of rows.entries()) {
    if (i > 0 && i % ROLLUP_CHUNK_ROWS === 0) {
      chunks.push(text);
      text = '';
    }
    text += `${JSON.stringify([
      g.bucket,
      g.provider,
      g.model,
      g.key_fp,
      g.tenant,
      g.category,
      g.code,
      g.http_status,
      g.calls,
      g.errors,
      g.prompt_tokens,
      g.completion_tokens,
      g.total_tokens,
      g.latency_sum,
      g.latency_count,
      histogramArrays(g.latency_hist),
      g.last_reset_at === null ? null : seconds(g.last_reset_at),
    ])}\n`;
  }
  if (text) chunks.push(text);
  return chunks;
}

function compactErrors(rows: readonly StoredCall[]): string {
  let text = '';
  for (const r of rows) {
    if (r.category === 'ok') continue;
    const line = ERROR_COLUMNS.map((c) =>
      c === 'ts' ? seconds(r.ts) : c === 'reset_at' ? (r.reset_at === null ? null : seconds(r.reset_at)) : r[c],
    );
    text += `${JSON.stringify(line)}\n`;
  }
  return text;
}

/** Rough bytes one rollup group holds (the row, its key, its histogram), for CallBlock.bytes. */
const GROUP_BYTES = 600;

/** A v2 block being aggregated, without I/O: what CallBlock inserts and a classify thread posts. */
export interface CallAggregate {
  add(rows: readonly StoredCall[]): void;
  readonly calls: number;
  /**
   * A rough count of the bytes it holds: the failed calls' rows in UTF-8 (at least what their
   * strings take in memory: one byte a character for Latin-1 text, three for the two bytes V8 keeps
   * for others) and GROUP_BYTES per rollup group.
   */
  readonly bytes: number;
  build(): BuiltBlock;
}

export function callAggregate(): CallAggregate {
  // The failed calls' rows are serialized as they are added and the rest folded into the groups, so
  // the calls themselves are garbage once added (they are the bulk of a fetch's memory).
  const errors: string[] = [];
  let errorBytes = 0;
  let calls = 0;
  const groups = new Map<string, RollupRow>();
  return {
    add(rows) {
      const text = compactErrors(rows);
      if (text) {
        errors.push(text);
        errorBytes += Buffer.byteLength(text, 'utf8');
      }
      for (const r of rows) addToRollup(groups, r);
      calls += rows.length;
    },
    get calls() {
      return calls;
    },
    get bytes() {
      return errorBytes + groups.size * GROUP_BYTES;
    },
    build() {
      return { calls, errors, rollup: compactRollup([...groups.values()]), groups: groups.size };
    },
  };
}

/**
 * The v2 write path (the default): failed calls as rows into errors_v2, then the block's 1m rollup
 * rows into calls_1m_v2, each insert under its own token derived from the block's. A retry after a
 * crash between the two inserts re-sends both: ClickHouse drops the one that had landed.
 */
export function clickhouseInserter(client: ClickHouseClient, database: string): CallInserter & BlockInserter {
  // Through insertBlock, the one insert path: each insert states its token, a fresh one when the block
  // has none (then nothing is deduplicated: two requests may well aggregate to identical rollup blocks).
  const send = (
    table: string,
    columns: readonly string[],
    body: readonly string[],
    rows: number,
    token: string | undefined,
  ) =>
    insertBlock(client, {
      table: `${database}.${table}`,
      columns,
      format: 'JSONCompactEachRow',
      body,
      rows,
      token: token ?? 'fresh',
      settings: { date_time_input_format: 'basic' },
    });
  return aggregatingInserter(async (b, token) => {
    if (b.calls === 0) return;
    if (b.errors.length > 0) await send('errors_v2', ERROR_COLUMNS, b.errors, b.calls, token && `${token}/errors`);
    await send('calls_1m_v2', ROLLUP_COLUMNS, b.rollup, b.groups, token && `${token}/1m`);
  });
}

/**
 * The v2 inserter over one way to store a built block: blocks aggregate in-process (callAggregate)
 * and are inserted as built, so calls added here and blocks a classify thread built land alike.
 */
export function aggregatingInserter(insertBuilt: BlockInserter['insertBuilt']): CallInserter & BlockInserter {
  return inserterOf(() => {
    const agg = callAggregate();
    return {
      add: (rows) => agg.add(rows),
      get calls() {
        return agg.calls;
      },
      get bytes() {
        return agg.bytes;
      },
      insert: (token) => insertBuilt(agg.build(), token),
    };
  }, insertBuilt);
}
