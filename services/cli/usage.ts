// Usage errors the same way for every command: an unknown flag gets the command's usage line and the
// closest valid flag. The valid flags are read from the command's own help text, so the list is
// written once, where the user reads it.

/** Every `--flag` the help text names. */
export function flagsOf(help: string): string[] {
  return [...new Set(help.match(/--[a-z][a-z0-9-]*/g) ?? [])];
}

/** Edit distance (insert, delete, substitute, swap of neighbours). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] as number[];
    const prev = d[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** The valid flag nearest to `flag`, or null when none is near enough to be a typo. */
export function closestFlag(flag: string, valid: readonly string[]): string | null {
  const name = flag.replace(/^--/, '');
  // A prefix (--bro for --brokers): the shortest flag it starts.
  const prefixed = valid.filter((v) => v.startsWith(flag)).sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
  if (name.length >= 2 && prefixed[0]) return prefixed[0];
  let best: string | null = null;
  let bestD = Number.POSITIVE_INFINITY;
  for (const v of valid) {
    const dist = distance(flag, v);
    if (dist < bestD || (dist === bestD && best !== null && v < best)) {
      best = v;
      bestD = dist;
    }
  }
  // A few typos for the length.
  return best && bestD <= Math.max(1, Math.floor(name.length / 3)) ? best : null;
}

/** The first `--flag` in args (before a bare `--`) that the help does not name, or null. */
export function unknownFlag(args: readonly string[], help: string): string | null {
  const valid = new Set([...flagsOf(help), '--help']);
  for (const a of args) {
    if (a === '--') return null;
    if (!a.startsWith('--')) continue;
    const flag = a.split('=', 1)[0] as string;
    if (!valid.has(flag)) return flag;
  }
  return null;
}

/**
 * `errorscope ship: unknown option '--ulr'; did you mean --url?` then the usage line and where the
 * full list is.
 */
export function unknownFlagMessage(command: string, flag: string, help: string): string {
  const near = closestFlag(flag, flagsOf(help));
  const usage = help.split('\n', 1)[0];
  return (
    `errorscope ${command}: unknown option '${flag}'${near ? `; did you mean ${near}?` : ''}\n` +
    `${usage}\n` +
    `(errorscope ${command} --help lists every option)\n`
  );
}

/** A usage error: what was wrong, the usage line, and where the full help is. */
export function usageError(command: string, message: string, help: string): string {
  return `errorscope ${command}: ${message}\n${help.split('\n', 1)[0]}\n(errorscope ${command} --help lists every option)\n`;
}

/** A line that opens a JSON value without closing it: the start of a pretty-printed (multi-line) document. */
export function looksLikeMultiLineJson(line: string): boolean {
  const s = line.trim();
  if (s === '') return false;
  return (s.startsWith('{') && !s.endsWith('}')) || (s.startsWith('[') && !s.endsWith(']'));
}

/** Said once per run when the input is a pretty-printed JSON document instead of NDJSON. */
export function ndjsonHint(command: string, file: string): string {
  const src = file === '-' ? 'stdin' : file;
  const convert = file === '-' ? 'jq -c . < FILE' : `jq -c . ${file} > ${file}.ndjson`;
  return (
    `errorscope ${command}: ${src} looks like pretty-printed JSON (one object over several lines), but the input ` +
    `must be NDJSON: one JSON object per line. Convert it with: ${convert} (a JSON array: jq -c '.[]')\n`
  );
}
