// A one-line progress display for long CLI runs: lines, bytes, rate and ETA. Drawn only on a TTY,
// at most five times a second; off a TTY the command stays quiet and prints its summary.

export interface ProgressState {
  lines: number;
  bytes: number;
  /** Total bytes expected (sum of file sizes) or null when unknown (stdin). */
  totalBytes: number | null;
}

function human(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** Pure: the text of the progress line for a state after `elapsedMs`. */
export function renderProgress(state: ProgressState, elapsedMs: number, width = 24): string {
  const secs = Math.max(elapsedMs / 1000, 1e-3);
  const rate = state.lines / secs;
  const byteRate = state.bytes / secs;
  let bar = '';
  let eta = '';
  if (state.totalBytes && state.totalBytes > 0) {
    const frac = Math.min(1, state.bytes / state.totalBytes);
    const filled = Math.round(frac * width);
    bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% `;
    eta = ` ETA ${clock(byteRate > 0 ? (state.totalBytes - state.bytes) / byteRate : Number.POSITIVE_INFINITY)}`;
  }
  return `${bar}${human(state.lines)} lines ${human(state.bytes)}B ${human(rate)} lines/s${eta}`;
}

export class Progress {
  private last = 0;
  private readonly started = Date.now();
  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly state: ProgressState,
  ) {}

  tick(force = false): void {
    if (!this.out.isTTY) return;
    const now = Date.now();
    if (!force && now - this.last < 200) return;
    this.last = now;
    this.out.write(`\r\x1b[K${renderProgress(this.state, now - this.started)}`);
  }

  done(): void {
    if (!this.out.isTTY) return;
    this.tick(true);
    this.out.write('\n');
  }
}
