// How the query API validates requests, brought along by the plugin so it behaves the same when
// registered into a server with other validator settings: query values coerced to the schema's types,
// defaults filled in (the routes rely on them), unknown parameters kept (removeAdditional: false),
// non-finite numbers refused before ajv (which coerces "1e309" to Infinity and skips range checks),
// and failures worded `<parameter>: <what is wrong>`.
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { guardFiniteNumbers } from '../guards.js';

/**
 * A validation failure as `<parameter>: <what is wrong>`, naming the allowed values or bounds, e.g.
 * `limit: must be <= 1000` or `dimension: must be one of provider, model, ...`.
 */
function formatSchemaErrors(
  errors: readonly { instancePath: string; keyword: string; message?: string; params: Record<string, unknown> }[],
  dataVar: string,
): Error {
  const parts = errors.map((e) => {
    const name =
      e.instancePath.replace(/^\//, '').replace(/\//g, '.') || (e.params.missingProperty as string) || dataVar;
    const allowed = e.params.allowedValues as unknown[] | undefined;
    const message = allowed ? `must be one of ${allowed.join(', ')}` : (e.message ?? 'is invalid');
    return `${name}: ${message}`;
  });
  return new Error(parts.join('; '));
}

/** fastify's own ajv settings (@fastify/ajv-compiler's defaults, formats included) with the API's three changes. */
function validatorAjv(): Ajv {
  const ajv = new Ajv({
    coerceTypes: true,
    useDefaults: true,
    removeAdditional: false,
    addUsedSchema: false,
    allErrors: false,
  });
  addFormats.default(ajv);
  return ajv;
}

export const validation = fp(
  async (app: FastifyInstance) => {
    const ajv = validatorAjv();
    app.setValidatorCompiler(({ schema }) => ajv.compile(schema));
    app.setSchemaErrorFormatter(formatSchemaErrors);
    guardFiniteNumbers(app);
  },
  { name: 'errorscope-validation' },
);
