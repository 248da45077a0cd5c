// Starts the query API on HOST:PORT. The caller owns the ClickHouse client and closes it after.
import type { Config } from '../config.js';
import { type AppDeps, buildApp } from './app.js';

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
