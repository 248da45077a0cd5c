// Grafana and Prometheus read their files with Go YAML libraries, and tools around them (older Grafana,
// Python's PyYAML, yq v3) read YAML 1.1, where a bare y / n / yes / no / on / off (any case) and
// True / FALSE are booleans. A refId N that becomes `false` gives Infinity an empty frame and the
// rule silently never fires. So every such word must be quoted in the files we ship; only the
// canonical lowercase true / false (a boolean in YAML 1.1 and 1.2 alike) may stand bare.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isScalar, LineCounter, parseDocument, visit } from 'yaml';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** YAML 1.1's bool scalars (yaml.org/type/bool.html) other than the canonical true / false. */
const YAML11_BOOL = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|True|TRUE|False|FALSE)$/;

interface Finding {
  line: number;
  text: string;
}

/** Every plain (unquoted) scalar, key or value, that a YAML 1.1 reader turns into a boolean. */
function yaml11Booleans(text: string): Finding[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: true });
  if (doc.errors.length > 0) throw new Error(`not YAML: ${doc.errors[0]!.message}`);
  const out: Finding[] = [];
  visit(doc, {
    Scalar(_key, node) {
      if (!isScalar(node) || node.type !== 'PLAIN') return;
      const src = node.srcToken && 'source' in node.srcToken ? node.srcToken.source : String(node.value);
      if (YAML11_BOOL.test(src)) out.push({ line: lineCounter.linePos(node.range?.[0] ?? 0).line, text: src });
    },
  });
  return out;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

describe('yaml11Booleans', () => {
  const words = ['y', 'Y', 'yes', 'Yes', 'YES', 'n', 'N', 'no', 'No', 'NO'];
  const more = ['on', 'On', 'ON', 'off', 'Off', 'OFF', 'True', 'TRUE', 'False', 'FALSE'];
  it.each([...words, ...more])('rejects a bare %s as a value, a list item and a key', (w) => {
    expect(yaml11Booleans(`refId: ${w}\n`)).toEqual([{ line: 1, text: w }]);
    expect(yaml11Booleans(`a:\n  - ${w}\n  - { refId: ${w} }\n`)).toEqual([
      { line: 2, text: w },
      { line: 3, text: w },
    ]);
    expect(yaml11Booleans(`${w}: 1\n`)).toEqual([{ line: 1, text: w }]);
  });

  it('accepts them quoted, inside longer words, and the canonical true / false', () => {
    const text = "a: 'N'\nb: \"ON\"\nc: Nope\nd: on-call\ne: true\nf: false\ng: [x, 'y']\nh: NaN\n";
    expect(yaml11Booleans(text)).toEqual([]);
  });

  it('refuses text that is not YAML rather than passing it', () => {
    expect(() => yaml11Booleans('a: [1, 2\n')).toThrow(/not YAML/);
  });
});

describe('the YAML files we ship', () => {
  const shipped = [...yamlFiles(join(ROOT, 'dashboards')), ...yamlFiles(join(ROOT, 'prometheus'))];
  it('include the Grafana provisioning files', () => {
    expect(shipped.map((f) => relative(ROOT, f))).toEqual(
      expect.arrayContaining(['dashboards/provisioning/alerting/errorscope-rules.yaml']),
    );
  });
  it.each(shipped.map((f) => [relative(ROOT, f), f]))('%s has no bare YAML 1.1 boolean', (_rel, f) => {
    expect(yaml11Booleans(readFileSync(f, 'utf8'))).toEqual([]);
  });
});
