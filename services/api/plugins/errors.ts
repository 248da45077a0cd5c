// How the query API answers what went wrong: every error as `{ error, message }` with the right
// status (4xx say what to fix, 5xx are generic and logged), 405 with Allow for a known path asked
// with another method, 404 otherwise.
import { ClickHouseError } from '@clickhouse/client';
import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { scrubSecrets } from '../../core/fingerprint.js';
import { TimeInputError } from '../../query/timeparse.js';
import { InputError } from '../dimensions.js';
import { methodGuard, notFoundOr405, routeTable } from '../guards.js';

// ClickHouse errors that a request's values can cause (bad casts, limits hit by a huge range).
const INPUT_ERROR_TYPES = new Set([
  'CANNOT_PARSE_TEXT',
  'CANNOT_PARSE_DATETIME',
  'CANNOT_PARSE_NUMBER',
  'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
  'TYPE_MISMATCH',
  'CANNOT_CONVERT_TYPE',
  'ARGUMENT_OUT_OF_BOUND',
  'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
  'BAD_QUERY_PARAMETER',
  'TOO_MANY_ROWS',
  'TOO_MANY_ROWS_OR_BYTES',
  'TIMEOUT_EXCEEDED',
  'TOO_SLOW',
]);

/**
 * By shape, not instanceof: the embedded engine's connection throws plain Errors with the
 * ClickHouse `code` and `type` (so user-caused query errors were answered 500 on chDB).
 */
function isClickHouseError(err: unknown): err is ClickHouseError {
  if (err instanceof ClickHouseError) return true;
  const e = err as { type?: unknown; code?: unknown } | null;
  return (
    typeof e === 'object' && e !== null && typeof e.type === 'string' && /^[A-Z][A-Z0-9_]+$/.test(e.type) && 'code' in e
  );
}

/**
 * The HTTP answer for an exception: status and public message; 5xx messages are generic. A 4xx message
 * may quote the request (`unknown dimension '...'`), where a raw key pasted by mistake would be echoed:
 * it goes through the scrubber, which replaces keys by their fingerprints.
 */
export function toHttpError(err: unknown): { status: number; error: string; message: string } {
  const answer = httpErrorOf(err);
  return answer.status < 500 ? { ...answer, message: scrubSecrets(answer.message) } : answer;
}

function httpErrorOf(err: unknown): { status: number; error: string; message: string } {
  if (err instanceof InputError || err instanceof TimeInputError) {
    return { status: 400, error: 'Bad Request', message: err.message };
  }
  if (isClickHouseError(err) && err.type && INPUT_ERROR_TYPES.has(err.type)) {
    return {
      status: 400,
      error: 'Bad Request',
      message: `the query could not run with these parameters (${err.type}): narrow the range, filters or step`,
    };
  }
  const fe = err as Partial<FastifyError>;
  if (fe.validation) return { status: 400, error: 'Bad Request', message: fe.message ?? 'invalid request' };
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    return { status, error: httpReason(status), message: fe.message ?? httpReason(status) };
  }
  if (status === 503) return { status, error: 'Service Unavailable', message: 'overloaded, retry later' };
  return { status: 500, error: 'Internal Server Error', message: 'internal error' };
}

function httpReason(status: number): string {
  const reasons: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    404: 'Not Found',
    405: 'Method Not Allowed',
    409: 'Conflict',
    413: 'Payload Too Large',
    415: 'Unsupported Media Type',
    422: 'Unprocessable Entity',
    429: 'Too Many Requests',
  };
  return reasons[status] ?? 'Client Error';
}

/**
 * The error handler, the 404/405 handler and the 405 guard (an onRequest hook, so a wrong method is
 * answered before anything reads a body). Register before the routes: the guard learns them as they
 * are added.
 */
export const errors = fp(
  async (app: FastifyInstance) => {
    const routes = routeTable(app);
    app.addHook('onRequest', methodGuard(routes));
    app.setErrorHandler((err, req, reply) => {
      const c = toHttpError(err);
      if (c.status >= 500) req.log.error({ err, url: scrubSecrets(req.url) }, 'request failed');
      else if (isClickHouseError(err)) req.log.warn({ err, url: scrubSecrets(req.url) }, 'query rejected');
      if (c.status === 429 || c.status === 503) {
        const retry = reply.getHeader('retry-after');
        if (retry === undefined) reply.header('retry-after', '10');
      }
      return reply.status(c.status).send({ error: c.error, message: c.message });
    });
    app.setNotFoundHandler(notFoundOr405(routes));
  },
  { name: 'errorscope-errors' },
);
