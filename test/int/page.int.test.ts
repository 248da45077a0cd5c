// The overview page at GET / in a real browser: Debian's Chromium (/usr/bin/chromium, installed by
// .ci/run) driven by playwright-core against a real `errorscope start --demo` spawned from dist. The
// demo plants a 1310 surge on two keys and quota walls; the page must show them, its charts must
// have data, a filter must narrow the data, a wall's reset time must be the API's reset_at in the
// browser's time zone, and nothing may log a console error. Then, with API_TOKENS set, the token
// prompt must let the viewer in with a good token and refuse a bad one.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempChdbDir } from '../helpers/chdb.js';
import { type SpawnedWorker, spawnCli, untilAnswers } from '../helpers/cli-worker.js';
import { waitFor } from '../helpers/kafka.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CHROMIUM = '/usr/bin/chromium';
/** Screenshots land here (gitignored). */
const OUT = join(ROOT, 'test-output');
const inCi = process.env.CI === 'true' || process.env.CI === '1';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && !inCi) {
  process.stderr.write(`\n*** page tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium) ***\n\n`);
}
// Outside CI a machine without Chromium skips; in CI the missing browser fails the run.
const describeBrowser = haveChromium || inCi ? describe : describe.skip;

/** Asia/Shanghai is UTC+8 all year (no DST): the expected local time is the UTC time plus 8 hours. */
const TIME_ZONE = 'Asia/Shanghai';
const TZ_OFFSET_MS = 8 * 3_600_000;
const expectedLocal = (ms: number) => new Date(ms + TZ_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');

interface WallRow {
  key: string;
  tenant: string;
  code: string;
  reset_at: number | null;
}

describeBrowser('overview page in Chromium against start --demo', () => {
  const dir = tempChdbDir('errorscope-page-');
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const base = `http://127.0.0.1:${port}`;
  let server: SpawnedWorker | null = null;
  let log = () => '';
  let browser: Browser;

  async function startServer(extraEnv: Record<string, string> = {}): Promise<void> {
    const s = spawnCli(
      ['start', '--demo'],
      { CHDB_PATH: dir.path, PORT: String(port), METRICS_PORT: '0', ...extraEnv },
      Infinity,
    );
    server = s;
    log = s.output;
    await waitFor(
      'the demo to be live',
      () => {
        if (s.proc.exitCode !== null) throw new Error(`start exited early: ${log().slice(-2000)}`);
        return log().includes('demo: live traffic running');
      },
      150_000,
    );
    // Right after start the event loop can be busy enough for under-pressure to answer 503.
    await untilAnswers(`${base}/ready`, s, 'the API to be ready', 60_000);
  }

  async function stopServer(): Promise<void> {
    const s = server;
    server = null;
    await s?.stop();
  }

  /** The demo's planted surge keys, from its own log line. */
  function surgeKeys(): string[] {
    const line = log()
      .split('\n')
      .find((l) => l.includes('demo: live traffic running'));
    const keys = line ? (JSON.parse(line) as { surgeKeys?: string[] }).surgeKeys : undefined;
    if (!keys || keys.length === 0) throw new Error(`no surgeKeys in the demo's log line: ${line}`);
    return keys;
  }

  async function apiWalls(headers: Record<string, string> = {}): Promise<WallRow[]> {
    const res = await fetch(`${base}/api/v1/quota-walls`, { headers });
    expect(res.status).toBe(200);
    return ((await res.json()) as { rows: WallRow[] }).rows;
  }

  async function openPage(): Promise<{ page: Page; consoleErrors: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, timezoneId: TIME_ZONE });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    return { page, consoleErrors };
  }

  /** Waits for the page's next completed refresh after `before` ones. */
  async function loadedAfter(page: Page, before: number): Promise<number> {
    // Strings: this file is compiled without the DOM library; the browser evaluates them.
    await page.waitForFunction(`Number(document.body.dataset.loaded ?? 0) > ${before}`, undefined, { timeout: 30_000 });
    return Number(await page.evaluate('document.body.dataset.loaded'));
  }

  const cells = (page: Page, panel: string, column: number) =>
    page.$$eval(`#${panel} tbody tr`, (rows, c) => rows.map((r) => r.children[c]?.textContent ?? ''), column);

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    await startServer();
    // The walls of the planted surge keys are in the store once the demo is live.
    const keys = surgeKeys();
    await waitFor(
      'the quota walls of the surge keys',
      async () => {
        const walls = await apiWalls();
        return keys.every((k) => walls.some((w) => w.key === k && w.code === '1310'));
      },
      60_000,
    );
  });

  afterAll(async () => {
    await browser?.close();
    await stopServer();
    dir.remove();
  });

  it('renders charts, surges, walls in local time, samples; a filter narrows the data; no console errors', async () => {
    const { page, consoleErrors } = await openPage();
    // The live demo keeps adding errors (a later one can carry a later reset time): the page must show
    // what the API said just before or just after it loaded.
    const wallsBefore = await apiWalls();
    await page.goto(`${base}/`);
    const first = await loadedAfter(page, 0);
    const wallsAfter = await apiWalls();

    // The charts have data: buckets with calls, the quota category drawn, a canvas each.
    const chart = await page.$eval('#chart-calls', (e) => ({
      points: Number((e as unknown as { dataset: Record<string, string> }).dataset.points),
      categories: ((e as unknown as { dataset: Record<string, string> }).dataset.categories ?? '').split(','),
      canvases: e.querySelectorAll('canvas').length,
    }));
    expect(chart.points).toBeGreaterThan(10);
    expect(chart.categories).toContain('quota');
    expect(chart.canvases).toBeGreaterThan(0);
    expect(await page.$$eval('#chart-rate canvas', (c) => c.length)).toBeGreaterThan(0);
    const allCalls = Number((await page.textContent('#kpi-calls'))?.replace(/,/g, ''));
    expect(allCalls).toBeGreaterThan(0);

    // Surges: 1310 first, and both planted keys among its rows, each with its tenant.
    const keys = surgeKeys();
    const surgeCodes = await cells(page, 'surges', 0);
    const surgeKeyCells = await cells(page, 'surges', 1);
    expect(surgeCodes[0]).toBe('1310');
    for (const k of keys) {
      const i = surgeKeyCells.findIndex((c) => c.startsWith(k));
      expect(i, `surge key ${k} on the page`).toBeGreaterThanOrEqual(0);
      expect(surgeCodes[i]).toBe('1310');
      expect(surgeKeyCells[i]).toMatch(/tenant \S+/);
    }

    // Walls: the reset time shown is the API's reset_at in the viewer's zone, with a countdown.
    const walls = wallsAfter;
    const shown = await page.$$eval('#walls tbody tr', (rows) =>
      rows.map((r) => ({
        key: r.querySelector('code')?.textContent ?? '',
        resetAt: r.querySelector('[data-reset-at]')?.getAttribute('data-reset-at') ?? null,
        local: r.querySelector('.reset-local')?.textContent ?? null,
        countdown: r.querySelector('[data-countdown]')?.textContent ?? null,
      })),
    );
    for (const k of keys) {
      const apiResets = [wallsBefore, wallsAfter].map(
        (ws) => ws.find((w) => w.key === k && w.code === '1310')?.reset_at,
      );
      const row = shown.find((s) => s.key === k);
      for (const r of apiResets) expect(r, `API reset_at of ${k}`).toEqual(expect.any(Number));
      expect(row, `wall of ${k} on the page`).toBeDefined();
      const resetAt = Number(row?.resetAt);
      expect(apiResets).toContain(resetAt);
      expect(row?.local).toBe(expectedLocal(resetAt));
      expect(row?.countdown).toMatch(/^in \d+d \d+h \d\dm$|^in \d+h \d\dm \d\ds$/);
    }
    expect(await page.textContent('#tz')).toContain(`${TIME_ZONE} (UTC+08:00)`);

    // Keys appear only as fingerprints.
    const sampleKeys = await page.$$eval('#samples tbody tr td:nth-child(3) code', (c) => c.map((e) => e.textContent));
    expect(sampleKeys.length).toBeGreaterThan(0);
    for (const k of sampleKeys) expect(k).toMatch(/^fp_[0-9a-f]{16}$/);

    await page.screenshot({ path: join(OUT, 'page.png'), fullPage: true });

    // A filter narrows the data: the tenant of the first surge key.
    const tenant = walls.find((w) => w.key === keys[0])?.tenant as string;
    await page.selectOption('select[name=tenant]', tenant);
    await loadedAfter(page, first);
    expect(page.url()).toContain(`tenant=${tenant}`);
    const tenantCalls = Number((await page.textContent('#kpi-calls'))?.replace(/,/g, ''));
    expect(tenantCalls).toBeGreaterThan(0);
    expect(tenantCalls).toBeLessThan(allCalls);
    const sampleTenants = await cells(page, 'samples', 2);
    expect(sampleTenants.length).toBeGreaterThan(0);
    for (const t of sampleTenants) expect(t).toContain(`tenant ${tenant}`);
    const wallTenants = await cells(page, 'walls', 0);
    for (const t of wallTenants) expect(t).toContain(`tenant ${tenant}`);
    expect(wallTenants.some((t) => t.startsWith(keys[0] as string))).toBe(true);

    expect(consoleErrors).toEqual([]);
    await page.context().close();
  });

  it('with API_TOKENS: the data calls need the token; the prompt refuses a bad one and keeps a good one out of the URL', async () => {
    await stopServer();
    const token = 'page-test-token-3f9a';
    await startServer({ API_TOKENS: token });
    expect((await fetch(`${base}/api/v1/quota-walls`)).status).toBe(401);
    expect((await fetch(`${base}/`)).status).toBe(200);
    expect((await fetch(`${base}/docs`)).status).toBe(200);
    expect((await fetch(`${base}/openapi.json`)).status).toBe(200);

    const { page, consoleErrors } = await openPage();
    await page.goto(`${base}/`);
    await page.waitForSelector('#login[open]');

    await page.fill('#login input[name=token]', 'not-the-token');
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#login-error:not([hidden])');
    expect(await page.textContent('#login-error')).toBe('That token was refused (401): check API_TOKENS.');
    expect(await page.evaluate("sessionStorage.getItem('errorscope.token')")).toBeNull();

    await page.fill('#login input[name=token]', token);
    await page.click('#login button[type=submit]');
    await loadedAfter(page, 0);
    expect(await page.$('#login[open]')).toBeNull();
    expect(await page.evaluate("sessionStorage.getItem('errorscope.token')")).toBe(token);
    expect(page.url()).not.toContain(token);
    const keys = await cells(page, 'walls', 0);
    expect(keys.length).toBeGreaterThan(0);

    // A reload in the same tab keeps the token (sessionStorage): no prompt.
    await page.reload();
    await loadedAfter(page, 0);
    expect(await page.$('#login[open]')).toBeNull();

    // The only console errors are the browser's notes of the refused token's 401 answers.
    for (const e of consoleErrors) expect(e).toMatch(/401/);
    await page.context().close();
  });
});
