// Creates the query API's fastify instance (the API plugin at the root, as fastify's example app does)
// and starts it on HOST:PORT. The caller owns the ClickHouse client and closes it after.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { type ApiOptions, api } from './app.js';

export interface AppDeps extends ApiOptions {
  logger: Logger;
}

/** The API as a whole server: its hooks, error and 404 handlers are the server's own (not encapsulated). */
export async function buildApp(deps: AppDeps) {
  const { logger, ...opts } = deps;
  const app = Fastify({ loggerInstance: logger, trustProxy: false }).withTypeProvider<TypeBoxTypeProvider>();
  await app.register(fp(api, { name: 'errorscope-api' }), opts);
  return app;
}

export interface RunningServer {
  app: Awaited<ReturnType<typeof buildApp>>;
  /** `http://127.0.0.1:8080` */
  url: string;
  close(): Promise<void>;
}

export async function startServer(
  deps: Omit<AppDeps, 'config'> & { config: AppDeps['config'] & Pick<Config, 'PORT'> },
): Promise<RunningServer> {
  const app = await buildApp(deps);
  const url = await app.listen({ host: deps.config.HOST, port: deps.config.PORT });
  return { app, url, close: () => app.close() };
}
