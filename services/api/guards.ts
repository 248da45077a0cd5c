// Request guards generated from the route table and schemas: numeric parameters must be finite
// (ajv coerces "Infinity" and "1e309" to Infinity and then skips its range checks on non-finite
// numbers), and a known path asked with another method is a 405 with Allow, not a 404.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { scrubSecrets } from '../core/fingerprint.js';

interface NumericParam {
  name: string;
  integer: boolean;
  minimum?: number;
  maximum?: number;
}

type JsonSchema = {
  type?: string;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
};

/** The number/integer properties of a querystring schema. */
function numericParams(schema: unknown): NumericParam[] {
  const props = (schema as JsonSchema | undefined)?.properties ?? {};
  const out: NumericParam[] = [];
  for (const [name, p] of Object.entries(props)) {
    if (p.type !== 'number' && p.type !== 'integer') continue;
    out.push({
      name,
      integer: p.type === 'integer',
      ...(p.minimum === undefined ? {} : { minimum: p.minimum }),
      ...(p.maximum === undefined ? {} : { maximum: p.maximum }),
    });
  }
  return out;
}

function describe(p: NumericParam): string {
  const kind = p.integer ? 'an integer' : 'a number';
  if (p.minimum !== undefined && p.maximum !== undefined) return `${kind} from ${p.minimum} to ${p.maximum}`;
  if (p.maximum !== undefined) return `${kind} up to ${p.maximum}`;
  if (p.minimum !== undefined) return `${kind} of at least ${p.minimum}`;
  return kind;
}

class ParameterError extends Error {
  override name = 'ParameterError';
  readonly statusCode = 400;
}

/**
 * Adds, to every route whose querystring schema has numeric parameters, a check that runs before
 * validation: each such parameter's raw text must be a finite number. Register before the routes.
 */
export function guardFiniteNumbers(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const params = numericParams(route.schema?.querystring);
    if (params.length === 0) return;
    const check = async (req: FastifyRequest) => {
      const q = req.query as Record<string, unknown>;
      for (const p of params) {
        const raw = q[p.name];
        if (raw === undefined) continue;
        for (const v of Array.isArray(raw) ? raw : [raw]) {
          const n = typeof v === 'number' ? v : Number(String(v).trim());
          if (typeof v === 'string' && v.trim() === '') continue; // ajv answers "must be number"
          if (!Number.isFinite(n)) {
            throw new ParameterError(`${p.name}: '${String(v)}' is not a finite number; use ${describe(p)}`);
          }
        }
      }
    };
    const existing = route.preValidation;
    route.preValidation = existing ? [...(Array.isArray(existing) ? existing : [existing]), check] : [check];
  });
}

/** Collects the routes' paths and methods; `allowed(path)` lists the methods of a concrete path. */
export function routeTable(app: FastifyInstance): { allowed(path: string): string[] } {
  const routes: { re: RegExp; methods: string[] }[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const pattern = route.url
      .split('/')
      .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    const upper = methods.map((m) => m.toUpperCase());
    // fastify answers HEAD for every GET route.
    if (upper.includes('GET') && !upper.includes('HEAD')) upper.push('HEAD');
    routes.push({ re: new RegExp(`^${pattern}/?$`), methods: upper });
  });
  return {
    allowed(path) {
      const out = new Set<string>();
      for (const r of routes) if (r.re.test(path)) for (const m of r.methods) out.add(m);
      return [...out].sort();
    },
  };
}

function methodNotAllowed(req: FastifyRequest, reply: FastifyReply, path: string, allowed: string[]) {
  return reply
    .status(405)
    .header('allow', allowed.join(', '))
    .send({ error: 'Method Not Allowed', message: `${req.method} ${path}: use ${allowed.join(' or ')}` });
}

/**
 * An onRequest hook answering 405 with Allow when the path is known and the method is not: before
 * anything reads a body (fastify would otherwise ask a body method such as QUERY for a Content-Type).
 */
export function methodGuard(table: { allowed(path: string): string[] }) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?', 1)[0] ?? '';
    const allowed = table.allowed(path);
    if (allowed.length > 0 && !allowed.includes(req.method)) return methodNotAllowed(req, reply, path, allowed);
  };
}

/** 405 with Allow for a known path, else 404. */
export function notFoundOr405(table: { allowed(path: string): string[] }) {
  return (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?', 1)[0] ?? '';
    const allowed = table.allowed(path);
    if (allowed.length > 0 && !allowed.includes(req.method)) return methodNotAllowed(req, reply, path, allowed);
    return reply.status(404).send({ error: 'Not Found', message: `no route ${req.method} ${scrubSecrets(path)}` });
  };
}
