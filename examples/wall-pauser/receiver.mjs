// An example receiver for errorscope's wall notifications: it pauses a new-api/one-api channel while its
// key is at a quota wall and resumes it at the reset time. No dependencies: `node receiver.mjs`.
//
//   GATEWAY_URL=https://gateway.example.com GATEWAY_TOKEN=<admin access token> GATEWAY_USER_ID=1 \
//   CHANNELS=./channels.json PORT=9095 node examples/wall-pauser/receiver.mjs
//
// channels.json maps errorscope key fingerprints to channel ids: {"fp_8dbcbcd1915dedd6": 12}. (The
// fingerprint of a key is `fp_` + the first 16 hex of its SHA-256: `errorscope classify` shows it.)
// Point Grafana's WALL_WEBHOOK_URL at http://<this host>:9095/walls.
//
// What it does with each notification (Grafana webhook JSON; the `message` is NDJSON, one wall per line,
// from the errorscope.walls.json template; without it the alerts' labels are read instead):
//   - a firing wall whose key has a channel: PUT /api/channel/ {id, status: 2} (disabled), remembered
//     with its reset time; a wall without a reset time (arrears) stays disabled for a person to handle;
//   - every `sweepEveryMs` (and on each notification): channels whose reset time (plus `graceMs`) has
//     passed are re-enabled with PUT /api/channel/ {id, status: 1}.
// State is in memory: after a restart, the next repeat notification (every 15 min) pauses again.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

const CHANNEL_ENABLED = 1;
const CHANNEL_DISABLED = 2;

/** The walls of a notification: NDJSON lines in `message`, else the alerts' labels. */
export function wallsFromWebhook(body) {
  if (body === null || typeof body !== 'object') throw new Error('the notification is not a JSON object');
  const fromMessage = [];
  if (typeof body.message === 'string') {
    for (const line of body.message.split('\n')) {
      const t = line.trim();
      if (!t.startsWith('{')) continue;
      try {
        const w = JSON.parse(t);
        if (w && w.schema === 'errorscope.walls/v1') fromMessage.push(w);
      } catch {
        // Not our template (or a label broke the JSON): the alerts below carry the same labels.
      }
    }
  }
  if (fromMessage.length > 0) return fromMessage.map(normalize);
  return (Array.isArray(body.alerts) ? body.alerts : []).map((a) => {
    const l = a?.labels ?? {};
    return normalize({
      status: a?.status,
      key: l.key,
      tenant: l.tenant,
      provider: l.provider,
      model: l.model,
      code: l.code,
      reset_at: l.until_iso || null,
      reset_at_epoch: l.reset_at_epoch ? Number(l.reset_at_epoch) : null,
    });
  });
}

function normalize(w) {
  const epoch = typeof w.reset_at_epoch === 'number' && Number.isFinite(w.reset_at_epoch) ? w.reset_at_epoch : null;
  return {
    status: w.status === 'resolved' ? 'resolved' : 'firing',
    key: String(w.key ?? ''),
    tenant: String(w.tenant ?? ''),
    provider: String(w.provider ?? ''),
    model: String(w.model ?? ''),
    code: String(w.code ?? ''),
    resetAtMs: epoch === null ? null : epoch * 1000,
  };
}

/**
 * The pausing logic, independent of HTTP serving: `handle(body)` for each notification, `sweep()` to
 * resume channels whose reset has passed.
 */
export function createPauser({ gatewayUrl, token, userId, channels, now = Date.now, graceMs = 60_000, log = () => {} }) {
  if (!gatewayUrl) throw new Error('GATEWAY_URL is required (the new-api/one-api base URL)');
  if (!token) throw new Error('GATEWAY_TOKEN is required (an admin access token of the gateway)');
  const paused = new Map(); // channel id -> { key, code, resumeAt (ms) | null }

  async function setStatus(id, status) {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    if (userId) headers['new-api-user'] = String(userId); // new-api wants the admin's user id too
    const url = new URL('/api/channel/', gatewayUrl);
    let res;
    try {
      res = await fetch(url, { method: 'PUT', headers, body: JSON.stringify({ id, status }) });
    } catch (err) {
      throw new Error(`cannot reach the gateway at ${url.origin} (GATEWAY_URL): ${err.cause?.code ?? err.cause?.message ?? err.message}`);
    }
    const text = await res.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {}
    // new-api/one-api answer 200 with {success:false,message} on failure.
    if (!res.ok || json?.success === false) {
      throw new Error(`gateway refused channel ${id} status ${status}: ${res.status} ${json?.message ?? text.slice(0, 200)}`);
    }
  }

  async function sweep() {
    const resumed = [];
    for (const [id, p] of paused) {
      if (p.resumeAt !== null && p.resumeAt <= now()) {
        await setStatus(id, CHANNEL_ENABLED);
        paused.delete(id);
        resumed.push(id);
        log({ channel: id, key: p.key }, 'resumed: the wall reset');
      }
    }
    return resumed;
  }

  async function handle(body) {
    const out = { paused: [], unmapped: [], ignored: [] };
    for (const w of wallsFromWebhook(body)) {
      const id = channels[w.key];
      if (id === undefined) {
        out.unmapped.push(w.key);
        continue;
      }
      if (w.status !== 'firing' || (w.resetAtMs !== null && w.resetAtMs <= now())) {
        out.ignored.push(id);
        continue;
      }
      const resumeAt = w.resetAtMs === null ? null : w.resetAtMs + graceMs;
      const known = paused.get(id);
      if (!known || known.resumeAt !== resumeAt) {
        if (!known) await setStatus(id, CHANNEL_DISABLED);
        paused.set(id, { key: w.key, code: w.code, resumeAt });
        log({ channel: id, key: w.key, code: w.code, resumeAt }, 'paused until the reset');
      }
      out.paused.push(id);
    }
    await sweep();
    return out;
  }

  return { handle, sweep, paused };
}

/** Serves POST <any path> (the Grafana webhook) and GET /healthz; sweeps on a timer. */
export function startReceiver({ pauser, port = 9095, host = '127.0.0.1', sweepEveryMs = 30_000, maxBytes = 1 << 20 }) {
  const server = createServer((req, res) => {
    const reply = (status, obj) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(obj));
    };
    if (req.method === 'GET' && req.url === '/healthz') return reply(200, { paused: [...pauser.paused.keys()] });
    if (req.method !== 'POST') return reply(405, { error: 'POST the Grafana webhook here' });
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > maxBytes) req.destroy();
      else chunks.push(c);
    });
    req.on('end', async () => {
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return reply(400, { error: 'the body is not JSON' });
      }
      try {
        reply(200, await pauser.handle(body));
      } catch (err) {
        reply(502, { error: String(err.message ?? err) });
      }
    });
  });
  const timer = setInterval(() => pauser.sweep().catch(() => {}), sweepEveryMs);
  timer.unref();
  server.on('close', () => clearInterval(timer));
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const env = process.env;
  const channels = env.CHANNELS ? JSON.parse(readFileSync(env.CHANNELS, 'utf8')) : {};
  const pauser = createPauser({
    gatewayUrl: env.GATEWAY_URL,
    token: env.GATEWAY_TOKEN,
    userId: env.GATEWAY_USER_ID,
    channels,
    log: (fields, msg) => process.stdout.write(`${JSON.stringify({ msg, ...fields })}\n`),
  });
  const server = await startReceiver({ pauser, port: Number(env.PORT ?? 9095), host: env.HOST ?? '127.0.0.1' });
  process.stdout.write(`wall-pauser listening on ${JSON.stringify(server.address())}\n`);
}
