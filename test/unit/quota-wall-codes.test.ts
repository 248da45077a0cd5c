// Which codes are quota walls is a flag on taxonomy rows (services/core/taxonomy.ts `quota_wall`). The
// code reads it; the dashboards, alert rules, Prometheus rules and docs cannot import it, so this test
// holds every list of wall codes they write to the flag's set.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { QUOTA_WALL_CODES, TAXONOMY } from '../../services/core/taxonomy.js';

const ROOT = join(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const files = (dir: string, ext: string) =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith(ext))
    .map((f) => `${dir}/${f}`);
const sorted = (codes: readonly string[]) => [...codes].sort();

/** Every `codes` parameter of a Grafana Infinity query of a quota-wall route, with where it is. */
function wallRouteCodeParams(node: unknown, at: string, out: { at: string; codes: string[] }[] = []) {
  if (Array.isArray(node)) {
    for (const [i, n] of node.entries()) wallRouteCodeParams(n, `${at}[${i}]`, out);
  } else if (node && typeof node === 'object') {
    const o = node as { url?: unknown; url_options?: { params?: { key: string; value: string }[] } };
    if (typeof o.url === 'string' && o.url.includes('/quota-walls')) {
      for (const p of o.url_options?.params ?? []) {
        if (p.key === 'codes') out.push({ at: `${at} ${o.url}`, codes: p.value.split(',').map((c) => c.trim()) });
      }
    }
    for (const [k, v] of Object.entries(o)) wallRouteCodeParams(v, `${at}.${k}`, out);
  }
  return out;
}

/** Runs of three or more 4-digit codes (`1113,1304,...`, `1113/1304/...`) in a text. */
function codeLists(text: string): string[][] {
  return [...text.matchAll(/\b\d{4}(?:\s*[,/]\s*\d{4}){2,}\b/g)].map((m) => m[0].split(/\s*[,/]\s*/));
}

describe('quota-wall codes', () => {
  test('the flag marks the usage-limit codes of the Zhipu family, all of category quota', () => {
    expect(QUOTA_WALL_CODES).toEqual(['1113', '1304', '1308', '1309', '1310']);
    const flagged = TAXONOMY.filter((e) => e.quota_wall);
    expect(new Set(flagged.map((e) => e.provider))).toEqual(new Set(['zhipu', 'zai']));
    expect(flagged.every((e) => e.category === 'quota' && !e.retryable)).toBe(true);
  });

  test('every codes parameter of a quota-wall query in the dashboards and alert rules is the flagged set', () => {
    const found = [
      ...files('dashboards/json', '.json').flatMap((f) => wallRouteCodeParams(JSON.parse(read(f)), f)),
      ...files('dashboards/provisioning/alerting', '.yaml').flatMap((f) => wallRouteCodeParams(parse(read(f)), f)),
    ];
    expect(found.filter((p) => p.at.startsWith('dashboards/json')).length).toBeGreaterThan(0);
    expect(found.filter((p) => p.at.startsWith('dashboards/provisioning')).length).toBeGreaterThan(0);
    for (const p of found) expect(sorted(p.codes), p.at).toEqual(sorted(QUOTA_WALL_CODES));
  });

  test('every list of wall codes in the README, the docs and the Prometheus rules is the flagged set', () => {
    const texts = ['README.md', ...files('docs', '.md'), ...files('prometheus', '.yml')];
    const lists = texts.flatMap((f) =>
      codeLists(read(f))
        // A list naming wall codes states the set (rate-limit lists such as 1302,1303,1313 name none).
        .filter((codes) => codes.some((c) => QUOTA_WALL_CODES.includes(c)))
        .map((codes) => ({ f, codes })),
    );
    expect(lists.filter((l) => l.f === 'README.md').length).toBeGreaterThan(0);
    for (const l of lists) expect(sorted(l.codes), `${l.f}: ${l.codes.join(',')}`).toEqual(sorted(QUOTA_WALL_CODES));
  });
});
