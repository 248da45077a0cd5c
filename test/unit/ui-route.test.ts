// The overview page's files: served from ui/ and node_modules/uplot with their content types, nothing
// else under /ui/, and whether the page must ask for a token.
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { describe, expect, test } from 'vitest';
import { uiRoute } from '../../services/api/ui-route.js';

async function app(auth: boolean) {
  const a = Fastify();
  await a.register(uiRoute, { auth });
  return a;
}

describe('overview page route', () => {
  test('GET / is the page; its assets come with their types; uPlot is the npm package', async () => {
    const a = await app(false);
    const page = await a.inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toBe(readFileSync(new URL('../../ui/index.html', import.meta.url), 'utf8'));
    for (const [file, type] of [
      ['app.js', 'text/javascript; charset=utf-8'],
      ['app.css', 'text/css; charset=utf-8'],
      ['favicon.svg', 'image/svg+xml'],
      ['uPlot.iife.min.js', 'text/javascript; charset=utf-8'],
      ['uPlot.min.css', 'text/css; charset=utf-8'],
    ]) {
      const r = await a.inject({ url: `/ui/${file}` });
      expect(r.statusCode, file).toBe(200);
      expect(r.headers['content-type'], file).toBe(type);
    }
    const uplot = await a.inject({ url: '/ui/uPlot.iife.min.js' });
    expect(uplot.body).toBe(
      readFileSync(new URL('../../node_modules/uplot/dist/uPlot.iife.min.js', import.meta.url), 'utf8'),
    );
    // Every asset the page references is served.
    for (const m of page.body.matchAll(/(?:src|href)="(\/ui\/[^"]+)"/g)) {
      expect((await a.inject({ url: m[1] as string })).statusCode, m[1]).toBe(200);
    }
  });

  test('only the known files: no path walks out of ui/', async () => {
    const a = await app(false);
    for (const url of ['/ui/nope.js', '/ui/..%2Fpackage.json', '/ui/index.html']) {
      expect((await a.inject({ url })).statusCode, url).toBe(404);
    }
  });

  test('config.json says whether the data calls need a token', async () => {
    expect((await (await app(true)).inject({ url: '/ui/config.json' })).json()).toEqual({ auth: true });
    expect((await (await app(false)).inject({ url: '/ui/config.json' })).json()).toEqual({ auth: false });
  });
});
