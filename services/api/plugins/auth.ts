// Bearer-token auth for the query API, and the policy that refuses to serve an open API on a
// reachable address. Probes, metrics, the API description and the overview page stay public.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../../config.js';
import { UI_PATHS } from '../ui-route.js';

export class ApiConfigError extends Error {
  override name = 'ApiConfigError';
}

/** Paths anyone may read: probes, metrics, the API description and the overview page (its data calls are not). */
const PUBLIC_PATHS = ['/health', '/ready', '/metrics', '/openapi.json', '/docs', UI_PATHS.assets];

/** Whether `url` is public; `prefix` is where the API is mounted ('' when it is the whole server). */
export function isPublicPath(url: string, prefix = ''): boolean {
  let path = url.split('?', 1)[0] ?? '';
  if (prefix !== '') {
    if (path !== prefix && !path.startsWith(`${prefix}/`)) return false;
    path = path.slice(prefix.length) || UI_PATHS.page;
  }
  return path === UI_PATHS.page || PUBLIC_PATHS.some((p) => path === p || path.startsWith(`${p}/`));
}

export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Refuses an open API on a reachable address: tokens, a loopback HOST, or an explicit opt-out. */
export function checkAuthPolicy(cfg: Pick<Config, 'HOST' | 'API_TOKENS' | 'ALLOW_NO_AUTH'>): void {
  if (cfg.API_TOKENS.length > 0 || isLoopback(cfg.HOST) || cfg.ALLOW_NO_AUTH) return;
  throw new ApiConfigError(
    `HOST=${cfg.HOST} is not a loopback address and API_TOKENS is empty: set API_TOKENS=<token>[,<token>...] ` +
      '(clients send Authorization: Bearer <token>), bind HOST=127.0.0.1, or set ALLOW_NO_AUTH=true to serve without auth',
  );
}

export const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time check against every token (no early exit, equal-length digests). */
export function tokenMatcher(tokens: readonly string[]): (presented: string) => boolean {
  const digests = tokens.map(digest);
  return (presented) => {
    const d = digest(presented);
    let ok = false;
    for (const t of digests) ok = timingSafeEqual(t, d) || ok;
    return ok;
  };
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1] ?? null;
}

export interface AuthOptions {
  /** API_TOKENS: empty serves without auth (checkAuthPolicy decides whether that is allowed). */
  tokens: readonly string[];
  /** HOST, named in the warning when there are no tokens. */
  host: string;
}

/** An onRequest hook answering 401 to a non-public request without a valid bearer token. */
export const auth = fp<AuthOptions>(
  async (app: FastifyInstance, opts) => {
    if (opts.tokens.length === 0) {
      app.log.warn({ host: opts.host }, 'API_TOKENS is empty: the query API answers without authentication');
      return;
    }
    const matches = tokenMatcher(opts.tokens);
    const prefix = app.prefix;
    app.addHook('onRequest', async (req, reply) => {
      if (isPublicPath(req.url, prefix)) return;
      const token = bearerToken(req.headers.authorization);
      if (!token || !matches(token)) {
        reply.header('www-authenticate', 'Bearer');
        return reply.status(401).send({ error: 'Unauthorized', message: 'send Authorization: Bearer <API token>' });
      }
    });
  },
  { name: 'errorscope-auth' },
);
