// The built-in overview page: GET / and its static assets under /ui/. The page is plain HTML, CSS and
// an ES module that reads the public query API (with the bearer token the viewer typed, when auth is
// on); uPlot is served from node_modules, so the page works offline and needs no build step.
// The files are read once at registration: a handful of small assets, served from memory.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';

/** Paths the page and its assets live under; plugins/auth.ts serves them without auth, like /docs. */
export const UI_PATHS = { page: '/', assets: '/ui' } as const;

interface Asset {
  body: Buffer;
  type: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The ui/ folder: ../../ui from services/api (tsx, vitest) or ../../../ui from dist/services/api. */
function uiDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '../../..']) {
    const dir = join(here, up, 'ui');
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  throw new Error(`ui/index.html not found above ${here}: the package ships the ui/ folder beside dist/`);
}

function load(file: string): Asset {
  const ext = file.slice(file.lastIndexOf('.'));
  return { body: readFileSync(file), type: TYPES[ext] ?? 'application/octet-stream' };
}

export interface UiOptions {
  /** Whether the data calls need a bearer token: the page asks for one before its first call. */
  auth: boolean;
}

export const uiRoute: FastifyPluginAsync<UiOptions> = async (app, opts) => {
  const dir = uiDir();
  const require = createRequire(import.meta.url);
  const uplot = dirname(require.resolve('uplot/package.json'));
  const assets = new Map<string, Asset>([
    ['app.js', load(join(dir, 'app.js'))],
    ['app.css', load(join(dir, 'app.css'))],
    ['favicon.svg', load(join(dir, 'favicon.svg'))],
    ['uPlot.iife.min.js', load(join(uplot, 'dist/uPlot.iife.min.js'))],
    ['uPlot.min.css', load(join(uplot, 'dist/uPlot.min.css'))],
  ]);
  const page = load(join(dir, 'index.html'));

  app.get(UI_PATHS.page, { schema: { hide: true } }, async (_req, reply) =>
    reply.header('content-type', page.type).header('cache-control', 'no-cache').send(page.body),
  );
  // Before its first data call the page reads whether to ask for a token (a 401 would be a console error).
  app.get(`${UI_PATHS.assets}/config.json`, { schema: { hide: true } }, async () => ({ auth: opts.auth }));
  app.get<{ Params: { file: string } }>(`${UI_PATHS.assets}/:file`, { schema: { hide: true } }, async (req, reply) => {
    const asset = assets.get(req.params.file);
    if (!asset) {
      return reply.status(404).send({ error: 'Not Found', message: `no asset ${req.params.file}` });
    }
    return reply.header('content-type', asset.type).header('cache-control', 'no-cache').send(asset.body);
  });
};
