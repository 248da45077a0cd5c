// The overview page: reads the public query API (/api/v1) and draws it. Plain ES module, no build
// step; uPlot is the global from /ui/uPlot.iife.min.js. Every value from the API is put in the page
// with textContent, never as HTML: provider messages are untrusted text.
/* global uPlot */

const TOKEN_KEY = 'errorscope.token';
const DIMS = ['provider', 'model', 'tenant', 'key'];
const CATEGORY_COLORS = {
  quota: '#d9480f',
  rate_limit: '#f59f00',
  overload: '#ae3ec9',
  server_error: '#c92a2a',
  network: '#495057',
  timeout: '#868e96',
  auth: '#1971c2',
  account: '#0b7285',
  permission: '#5f3dc4',
  invalid_request: '#e64980',
  context_length: '#2f9e44',
  not_found: '#66a80f',
  content_policy: '#a61e4d',
  conflict: '#364fc7',
  unknown: '#adb5bd',
};
const FALLBACK_COLORS = ['#1098ad', '#74b816', '#f76707', '#7048e8', '#d6336c'];

const $ = (id) => document.getElementById(id);
const filtersForm = $('filters');
const watchForm = $('watch');
const state = { charts: {}, keyTenant: new Map(), loading: false, timer: 0, authOn: false };

// ---------- time and number formatting (the viewer's local time zone) ----------

const pad = (n) => String(n).padStart(2, '0');

/** `2026-12-07 23:28:57` in the browser's time zone. */
export function localTime(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function utcOffset(ms = Date.now()) {
  const off = -new Date(ms).getTimezoneOffset();
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  return `UTC${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

/** `in 5d 23h 58m`, `in 3h 04m 12s`, `passed`. */
function countdown(ms) {
  if (ms <= 0) return 'passed';
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `in ${d}d ${h}h ${pad(m)}m`;
  return `in ${h}h ${pad(m)}m ${pad(s % 60)}s`;
}

function ago(ms) {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

const num = (n) => Number(n).toLocaleString('en-US');
const pct = (x) => `${(x * 100).toFixed(x >= 0.1 || x === 0 ? 1 : 2)}%`;

// ---------- API ----------

class AuthError extends Error {}

function storedToken() {
  return sessionStorage.getItem(TOKEN_KEY) ?? localStorage.getItem(TOKEN_KEY);
}

async function api(path, params = {}) {
  const url = new URL(`/api/v1/${path}`, location.origin);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
  const headers = { accept: 'application/json' };
  const token = storedToken();
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { headers });
  if (res.status === 401) throw new AuthError('the API refused the token');
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${path}: ${body.message ?? `HTTP ${res.status}`}`);
  return body;
}

// ---------- filters (kept in the URL fragment, never the token) ----------

function filters() {
  const f = {};
  for (const d of DIMS) f[d] = filtersForm.elements[d].value;
  return f;
}

function range() {
  return filtersForm.elements.range.value;
}

function saveHash() {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(filters())) if (v) p.set(k, v);
  p.set('range', range());
  p.set('refresh', filtersForm.elements.refresh.value);
  const codes = watchForm.elements.codes.value.trim();
  if (codes !== '1310,1308,1113') p.set('codes', codes);
  history.replaceState(null, '', `#${p}`);
}

function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  for (const name of ['range', 'refresh']) {
    const v = p.get(name);
    const el = filtersForm.elements[name];
    if (v && [...el.options].some((o) => o.value === v)) el.value = v;
  }
  if (p.get('codes')) watchForm.elements.codes.value = p.get('codes');
  return Object.fromEntries(DIMS.map((d) => [d, p.get(d) ?? '']));
}

function setOptions(select, values, wanted, label = (v) => v) {
  const current = wanted ?? select.value;
  select.replaceChildren(new Option('all', ''));
  for (const v of values) select.add(new Option(label(v), v));
  if (current && !values.includes(current)) select.add(new Option(label(current), current));
  select.value = current;
}

async function loadOptions(wanted = filters()) {
  const from = 'now-7d';
  const [providers, models, tenants, keys] = await Promise.all([
    api('values/provider', { from }),
    api('values/model', { from }),
    api('values/tenant', { from }),
    api('top', { from, by: 'key,tenant', limit: 500 }),
  ]);
  const el = filtersForm.elements;
  setOptions(
    el.provider,
    providers.rows.map((r) => r.value),
    wanted.provider,
  );
  setOptions(
    el.model,
    models.rows.map((r) => r.value),
    wanted.model,
  );
  setOptions(
    el.tenant,
    tenants.rows.map((r) => r.value),
    wanted.tenant,
  );
  state.keyTenant = new Map(keys.rows.map((r) => [r.key, r.tenant]));
  const keyList = [...state.keyTenant.keys()].sort();
  setOptions(el.key, keyList, wanted.key, (k) => (state.keyTenant.get(k) ? `${k} · ${state.keyTenant.get(k)}` : k));
}

// ---------- DOM helpers ----------

function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === 'class') e.className = v;
    else if (k === 'style') e.style.cssText = v;
    else if (k.startsWith('data-')) e.setAttribute(k, String(v));
    else e[k] = v;
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function table(target, columns, rows, empty) {
  if (rows.length === 0) {
    target.replaceChildren(h('p', { class: 'empty' }, empty));
    return;
  }
  const head = h('tr', {}, ...columns.map((c) => h('th', { class: c.num ? 'num' : undefined }, c.title)));
  const body = rows.map((r) =>
    h('tr', {}, ...columns.map((c) => h('td', { class: c.num ? 'num' : c.cls }, c.cell(r)))),
  );
  target.replaceChildren(h('table', {}, h('thead', {}, head), h('tbody', {}, ...body)));
}

function panelError(target, err) {
  target.replaceChildren(h('p', { class: 'panel-error' }, err instanceof Error ? err.message : String(err)));
}

function colorOf(category, i) {
  return CATEGORY_COLORS[category] ?? FALLBACK_COLORS[i % FALLBACK_COLORS.length];
}

function pill(category) {
  return h('span', { class: 'pill', style: `background:${colorOf(category, 0)}` }, category);
}

function keyCell(key, tenant) {
  const t = tenant ?? state.keyTenant.get(key);
  return h('span', {}, h('code', {}, key), t ? h('span', { class: 'sub' }, `tenant ${t}`) : null);
}

function timeCell(ms) {
  return h('span', { title: new Date(ms).toISOString() }, localTime(ms), h('span', { class: 'sub' }, ago(ms)));
}

// ---------- charts ----------

/** Long-format series rows → aligned uPlot columns: times (s), calls, and errors per category. */
function pivot(rows) {
  const times = [...new Set(rows.map((r) => r.time))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const calls = new Array(times.length).fill(0);
  const errors = new Map();
  for (const r of rows) {
    const i = index.get(r.time);
    calls[i] += r.calls;
    if (r.category === 'ok' || r.category === '') continue;
    if (!errors.has(r.category)) errors.set(r.category, new Array(times.length).fill(0));
    errors.get(r.category)[i] += r.errors;
  }
  const cats = [...errors.entries()]
    .map(([c, v]) => [c, v, v.reduce((a, b) => a + b, 0)])
    .filter(([, , total]) => total > 0)
    .sort((a, b) => b[2] - a[2]);
  return { times: times.map((t) => t / 1000), calls, cats };
}

/** Stacks the given columns (bottom first) and returns the stacked data and uPlot bands. */
function stack(columns) {
  const acc = new Array(columns[0]?.length ?? 0).fill(0);
  const stacked = columns.map((col) => col.map((v, i) => (acc[i] += v)));
  const bands = stacked.slice(1).map((_, i) => ({ series: [i + 2, i + 1] }));
  return { stacked, bands };
}

function drawChart(name, el, build) {
  state.charts[name]?.destroy();
  el.replaceChildren();
  const width = Math.max(300, el.clientWidth);
  const { opts, data } = build(width);
  state.charts[name] = new uPlot(opts, data, el);
}

function drawCharts(p) {
  const elCalls = $('chart-calls');
  const elRate = $('chart-rate');
  const raw = p.cats.map(([, v]) => v);
  const rateRaw = raw.map((v) => v.map((e, i) => (p.calls[i] ? e / p.calls[i] : 0)));
  elCalls.dataset.points = String(p.calls.filter((c) => c > 0).length);
  elCalls.dataset.categories = p.cats.map(([c]) => c).join(',');
  elRate.dataset.points = elCalls.dataset.points;
  const xAxis = { stroke: '#6b7280', grid: { stroke: '#eef0f3' } };
  const yAxis = (fmt) => ({ stroke: '#6b7280', grid: { stroke: '#eef0f3' }, size: 56, values: (_u, v) => v.map(fmt) });
  const catSeries = (rawCols, fmt) =>
    p.cats.map(([c], i) => ({
      label: c,
      stroke: colorOf(c, i),
      fill: `${colorOf(c, i)}cc`,
      width: 1,
      points: { show: false },
      value: (_u, _v, si, idx) => (idx === null || idx === undefined ? '–' : fmt(rawCols[si - 1][idx])),
    }));

  drawChart('calls', elCalls, (width) => {
    const { stacked, bands } = stack(raw);
    return {
      opts: {
        width,
        height: 240,
        scales: { x: { time: true } },
        bands,
        series: [
          {},
          ...catSeries(raw, num),
          {
            label: 'all calls',
            stroke: '#1f2430',
            width: 1.5,
            dash: [5, 4],
            points: { show: false },
            value: (_u, v) => (v === null ? '–' : num(v)),
          },
        ],
        axes: [xAxis, yAxis((v) => num(v))],
      },
      data: [p.times, ...stacked, p.calls],
    };
  });
  drawChart('rate', elRate, (width) => {
    const { stacked, bands } = stack(rateRaw);
    return {
      opts: {
        width,
        height: 240,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(0.05, max * 1.1)] } },
        bands,
        series: [{}, ...catSeries(rateRaw, pct)],
        axes: [xAxis, yAxis((v) => pct(v))],
      },
      data: [p.times, ...stacked],
    };
  });
}

// ---------- panels ----------

function renderKpis(p, walls, surging) {
  const calls = p.calls.reduce((a, b) => a + b, 0);
  const errors = p.cats.reduce((a, [, , t]) => a + t, 0);
  $('kpi-calls').textContent = num(calls);
  $('kpi-errors').textContent = num(errors);
  $('kpi-rate').textContent = calls ? pct(errors / calls) : '–';
  const setCount = (id, n) => {
    const e = $(id);
    e.textContent = n === null ? '–' : num(n);
    e.classList.toggle('nonzero', (n ?? 0) > 0);
  };
  setCount('kpi-walls', walls);
  setCount('kpi-surging', surging);
  return { calls, errors };
}

function renderSurges(rows) {
  table(
    $('surges'),
    [
      { title: 'code', cell: (r) => h('code', {}, r.code) },
      { title: 'key', cell: (r) => keyCell(r.key, r.tenant) },
      { title: 'count', num: true, cell: (r) => num(r.count) },
      { title: 'expected', num: true, cell: (r) => r.expected.toFixed(2) },
      { title: 'ratio', num: true, cell: (r) => `×${r.ratio.toFixed(1)}` },
      { title: 'score', num: true, cell: (r) => r.score.toFixed(1) },
      { title: 'last seen', cell: (r) => timeCell(r.last_seen) },
    ],
    rows,
    'No key is surging on the watched codes.',
  );
}

function renderWalls(rows) {
  table(
    $('walls'),
    [
      { title: 'key', cell: (r) => keyCell(r.key, r.tenant) },
      { title: 'code', cell: (r) => h('span', {}, h('code', {}, r.code), h('span', { class: 'sub' }, r.provider)) },
      {
        title: 'resets (your time)',
        cell: (r) =>
          r.reset_at === null
            ? h('span', { class: 'muted' }, 'not stated')
            : h(
                'span',
                { class: 'reset', 'data-reset-at': r.reset_at, title: new Date(r.reset_at).toISOString() },
                h('span', { class: 'reset-local' }, localTime(r.reset_at)),
                h('span', { class: 'sub countdown', 'data-countdown': r.reset_at }, countdown(r.reset_at - Date.now())),
              ),
      },
      { title: 'blocked since', cell: (r) => timeCell(r.since) },
      { title: 'errors', num: true, cell: (r) => num(r.count) },
      { title: 'message', cls: 'msg', cell: (r) => r.message },
    ],
    rows,
    'No key is at a quota wall.',
  );
}

function renderTop(rows, totalCalls) {
  const max = Math.max(1, ...rows.map((r) => r.errors));
  table(
    $('top'),
    [
      { title: 'code', cell: (r) => h('span', {}, h('code', {}, r.code), h('span', { class: 'sub' }, r.provider)) },
      { title: 'category', cell: (r) => pill(r.category) },
      {
        title: 'failed calls',
        cell: (r) =>
          h(
            'span',
            {},
            h('span', {
              class: 'bar',
              style: `width:${Math.round((r.errors / max) * 90)}px;background:${colorOf(r.category, 0)}`,
            }),
            num(r.errors),
          ),
      },
      { title: 'of all calls', num: true, cell: (r) => (totalCalls ? pct(r.errors / totalCalls) : '–') },
    ],
    rows.filter((r) => r.errors > 0),
    'No failed calls in this range.',
  );
}

function renderUnknown(rows) {
  table(
    $('unknown'),
    [
      { title: 'code', cell: (r) => h('span', {}, h('code', {}, r.code), h('span', { class: 'sub' }, r.provider)) },
      { title: 'calls', num: true, cell: (r) => num(r.calls) },
      { title: 'filed under', cell: (r) => pill(r.category) },
      { title: 'last seen', cell: (r) => timeCell(r.last_seen) },
      { title: 'sample message', cls: 'msg', cell: (r) => r.sample_message },
    ],
    rows,
    'Every code seen is in the taxonomy.',
  );
}

function renderSamples(rows) {
  table(
    $('samples'),
    [
      { title: 'time', cell: (r) => timeCell(r.time) },
      { title: 'provider / model', cell: (r) => h('span', {}, r.provider, h('span', { class: 'sub' }, r.model)) },
      { title: 'key', cell: (r) => keyCell(r.key, r.tenant) },
      { title: 'category', cell: (r) => pill(r.category) },
      {
        title: 'code',
        cell: (r) => h('span', {}, h('code', {}, r.code), h('span', { class: 'sub' }, `HTTP ${r.http_status}`)),
      },
      { title: 'message', cls: 'msg', cell: (r) => r.message },
    ],
    rows,
    'No failed calls in this range.',
  );
}

// ---------- loading ----------

function rangeMs(r) {
  const n = Number.parseInt(r, 10);
  return n * { m: 60_000, h: 3_600_000, d: 86_400_000 }[r.slice(-1)];
}

async function surgesFor(codes, f) {
  const lists = await Promise.all(
    codes.map((code) =>
      api('surges', { ...f, codes: code, by: 'key', window: '15m', baseline: '24h', only_surging: true }).then((b) =>
        b.rows.map((r) => ({ ...r, code })),
      ),
    ),
  );
  // Watched codes in the order given (1310 first by default), the highest score first within one.
  return lists.flatMap((rows) => rows.sort((a, b) => b.score - a.score));
}

async function refresh() {
  if (state.loading) return;
  state.loading = true;
  const status = $('status');
  status.textContent = 'loading…';
  try {
    const f = filters();
    const r = range();
    const from = `now-${r}`;
    const codes = watchForm.elements.codes.value
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean);
    const lookback = rangeMs(r) > 6 * 3_600_000 ? r : '6h';
    const [series, top, surges, walls, samples, unknown] = await Promise.allSettled([
      api('series', { ...f, from, group_by: 'category', max_series: 50 }),
      api('top', { ...f, from, by: 'provider,code,category', limit: 10 }),
      surgesFor(codes, f),
      api('quota-walls', { ...f, lookback }),
      api('samples', { ...f, from, limit: 50 }),
      api('unknown-codes', { from, provider: f.provider }),
    ]);
    const all = [series, top, surges, walls, samples, unknown];
    const refused = all.find((s) => s.status === 'rejected' && s.reason instanceof AuthError);
    if (refused) throw refused.reason;

    let totals = { calls: 0 };
    if (series.status === 'fulfilled') {
      const p = pivot(series.value.rows);
      drawCharts(p);
      $('calls-note').textContent = `${series.value.resolution} buckets · dashed line: all calls`;
      totals = renderKpis(
        p,
        walls.status === 'fulfilled' ? walls.value.rows.length : null,
        surges.status === 'fulfilled' ? new Set(surges.value.map((s) => s.key)).size : null,
      );
    } else {
      panelError($('chart-calls'), series.reason);
      panelError($('chart-rate'), series.reason);
    }
    if (top.status === 'fulfilled') renderTop(top.value.rows, top.value.total_calls ?? totals.calls);
    else panelError($('top'), top.reason);
    if (surges.status === 'fulfilled') renderSurges(surges.value);
    else panelError($('surges'), surges.reason);
    if (walls.status === 'fulfilled') renderWalls(walls.value.rows);
    else panelError($('walls'), walls.reason);
    if (samples.status === 'fulfilled') renderSamples(samples.value.rows);
    else panelError($('samples'), samples.reason);
    if (unknown.status === 'fulfilled') renderUnknown(unknown.value.rows);
    else panelError($('unknown'), unknown.reason);

    const failed = all.filter((s) => s.status === 'rejected').length;
    status.textContent = `updated ${localTime(Date.now()).slice(11)}${failed ? ` · ${failed} panel(s) failed` : ''}`;
    document.body.dataset.loaded = String(Number(document.body.dataset.loaded ?? 0) + 1);
  } catch (err) {
    if (err instanceof AuthError) {
      clearInterval(state.timer);
      askToken('The API refused the stored token: enter a valid one.');
    } else status.textContent = `could not load: ${err.message}`;
  } finally {
    state.loading = false;
  }
}

function schedule() {
  clearInterval(state.timer);
  const s = Number(filtersForm.elements.refresh.value);
  if (s > 0) state.timer = setInterval(refresh, s * 1000);
}

function tickCountdowns() {
  const now = Date.now();
  for (const e of document.querySelectorAll('[data-countdown]')) {
    e.textContent = countdown(Number(e.getAttribute('data-countdown')) - now);
  }
}

// ---------- auth ----------

function askToken(message) {
  const dialog = $('login');
  const err = $('login-error');
  err.hidden = !message;
  err.textContent = message ?? '';
  if (!dialog.open) dialog.showModal();
  dialog.querySelector('input[name=token]').focus();
}

function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(TOKEN_KEY);
}

async function start() {
  $('tz').textContent = `times in ${Intl.DateTimeFormat().resolvedOptions().timeZone} (${utcOffset()})`;
  try {
    await loadOptions(readHash());
  } catch (err) {
    if (err instanceof AuthError) {
      askToken(storedToken() ? 'The API refused the stored token: enter a valid one.' : undefined);
      return;
    }
    $('status').textContent = `could not load filters: ${err.message}`;
  }
  await refresh();
  schedule();
}

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const form = ev.target;
  const token = form.elements.token.value.trim();
  if (!token) return;
  forgetToken();
  (form.elements.remember.checked ? localStorage : sessionStorage).setItem(TOKEN_KEY, token);
  try {
    await loadOptions(readHash());
  } catch (err) {
    forgetToken();
    askToken(err instanceof AuthError ? 'That token was refused (401): check API_TOKENS.' : err.message);
    return;
  }
  form.elements.token.value = '';
  $('login').close();
  $('logout').hidden = false;
  await refresh();
  schedule();
});

$('logout').addEventListener('click', () => {
  forgetToken();
  location.reload();
});

filtersForm.addEventListener('change', (ev) => {
  saveHash();
  if (ev.target.name === 'refresh') schedule();
  else refresh();
});
watchForm.addEventListener('change', () => {
  saveHash();
  refresh();
});
watchForm.addEventListener('submit', (ev) => ev.preventDefault());
window.addEventListener('resize', () => {
  for (const [name, u] of Object.entries(state.charts)) {
    const el = $(`chart-${name}`);
    if (el) u.setSize({ width: Math.max(300, el.clientWidth), height: 240 });
  }
});
setInterval(tickCountdowns, 1000);

const config = await fetch('/ui/config.json')
  .then((r) => r.json())
  .catch(() => ({ auth: false }));
state.authOn = config.auth === true;
if (state.authOn && storedToken()) $('logout').hidden = false;
if (state.authOn && !storedToken()) askToken();
else start();
