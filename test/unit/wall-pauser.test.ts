// The wall automation end to end on loopback: the errorscope.walls.json template rendered with the
// labels the errorscope-wall-pause rule gives its instances, posted as Grafana's webhook body to the
// example receiver (examples/wall-pauser), which disables the key's channel on a fake new-api gateway
// until the reset time and re-enables it after.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM example without type declarations.
import { createPauser, startReceiver, wallsFromWebhook } from '../../examples/wall-pauser/receiver.mjs';
import { parseDefines, renderTemplate } from '../helpers/gotemplate.js';
import { type InfinityQuery, loadAlertRules, loadProvisioningFiles } from '../helpers/infinity.js';

const TOKEN = 'gateway-admin-token';
const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const RESET = NOW + 3 * 3_600_000;
const FP_WALL = 'fp_00000000000000aa';
const FP_ARREARS = 'fp_00000000000000bb';
const FP_UNMAPPED = 'fp_00000000000000cc';

const templates = loadProvisioningFiles().find((f) => f.path === 'provisioning/alerting/errorscope-templates.yaml')!
  .content.templates as { name: string; template: string }[];
const wallsTemplate = templates.find((t) => t.name === 'errorscope-walls')!.template;
const rule = loadAlertRules().find((r) => r.uid === 'errorscope-wall-pause')!;
const ruleLabels = (rule.data[0]!.model as unknown as InfinityQuery).columns
  .filter((c) => c.type === 'string')
  .map((c) => c.selector);

/** Grafana's webhook body for firing wall instances (labels: the rule's string columns and its own). */
function webhook(alerts: { status: string; labels: Record<string, string> }[]) {
  const data = { Status: 'firing', Alerts: alerts.map((a) => ({ Status: a.status, Labels: a.labels })) };
  return {
    receiver: 'errorscope-walls',
    status: 'firing',
    alerts: alerts.map((a) => ({ status: a.status, labels: { ...a.labels, ...rule.labels }, annotations: {} })),
    title: 'errorscope walls',
    message: renderTemplate(wallsTemplate, 'errorscope.walls.json', data),
  };
}

const wallLabels = (key: string, resetMs: number | null) => ({
  key,
  tenant: 'acme',
  provider: 'zai',
  model: 'glm-4.6',
  code: resetMs === null ? '1113' : '1308',
  until_iso: resetMs === null ? '' : new Date(resetMs).toISOString(),
  reset_at_epoch: resetMs === null ? '' : String(resetMs / 1000),
});

interface GatewayCall {
  method: string;
  url: string;
  auth: string | undefined;
  user: string | undefined;
  body: { id: number; status: number };
}

let gateway: Server;
let gatewayUrl: string;
const calls: GatewayCall[] = [];

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  // A fake new-api: PUT /api/channel/ with the admin token; 200 {success:false} otherwise, as new-api does.
  gateway = createServer(async (req, res) => {
    const text = await readBody(req);
    const ok = req.headers.authorization === `Bearer ${TOKEN}` && req.method === 'PUT' && req.url === '/api/channel/';
    if (ok) {
      calls.push({
        method: req.method!,
        url: req.url!,
        auth: req.headers.authorization,
        user: req.headers['new-api-user'] as string | undefined,
        body: JSON.parse(text),
      });
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(ok ? { success: true, message: '' } : { success: false, message: 'no permission' }));
  });
  await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r));
  gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => gateway?.close(r));
});

describe('the errorscope.walls.json template', () => {
  it('reads only labels the wall-pause rule gives its instances', () => {
    for (const m of wallsTemplate.matchAll(/\.Labels\.(\w+)/g)) expect(ruleLabels, m[1]).toContain(m[1]);
    expect(parseDefines(wallsTemplate).has('errorscope.walls.title')).toBe(true);
  });

  it('renders one JSON object per wall with key, tenant, provider, model, code, reset_at ISO and epoch', () => {
    const body = webhook([
      { status: 'firing', labels: wallLabels(FP_WALL, RESET) },
      { status: 'firing', labels: wallLabels(FP_ARREARS, null) },
    ]);
    const lines = body.message.split('\n').filter((l) => l.trim() !== '');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      {
        schema: 'errorscope.walls/v1',
        status: 'firing',
        key: FP_WALL,
        tenant: 'acme',
        provider: 'zai',
        model: 'glm-4.6',
        code: '1308',
        reset_at: new Date(RESET).toISOString(),
        reset_at_epoch: RESET / 1000,
      },
      {
        schema: 'errorscope.walls/v1',
        status: 'firing',
        key: FP_ARREARS,
        tenant: 'acme',
        provider: 'zai',
        model: 'glm-4.6',
        code: '1113',
        reset_at: null,
        reset_at_epoch: null,
      },
    ]);
  });

  it('the receiver reads the same walls from the alerts when the message is not ours', () => {
    const body = webhook([{ status: 'firing', labels: wallLabels(FP_WALL, RESET) }]);
    const fromMessage = wallsFromWebhook(body);
    const fromAlerts = wallsFromWebhook({ ...body, message: 'a person-readable text' });
    expect(fromAlerts).toEqual(fromMessage);
    expect(fromMessage).toEqual([
      {
        status: 'firing',
        key: FP_WALL,
        tenant: 'acme',
        provider: 'zai',
        model: 'glm-4.6',
        code: '1308',
        resetAtMs: RESET,
      },
    ]);
  });
});

describe('examples/wall-pauser against a fake new-api gateway', () => {
  const clock = { now: NOW };
  const GRACE = 60_000;
  let receiver: Server;
  let pauser: ReturnType<typeof createPauser>;
  let url: string;

  beforeAll(async () => {
    pauser = createPauser({
      gatewayUrl,
      token: TOKEN,
      userId: '1',
      channels: { [FP_WALL]: 12, [FP_ARREARS]: 13 },
      now: () => clock.now,
      graceMs: GRACE,
    });
    receiver = await startReceiver({ pauser, port: 0, host: '127.0.0.1', sweepEveryMs: 3_600_000 });
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/walls`;
  });

  afterAll(async () => {
    await new Promise((r) => receiver?.close(r));
  });

  const post = async (body: unknown) => {
    const res = await fetch(url, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  };

  it('disables the channel of each walled key (with the admin token and user id), skips unknown keys', async () => {
    const res = await post(
      webhook([
        { status: 'firing', labels: wallLabels(FP_WALL, RESET) },
        { status: 'firing', labels: wallLabels(FP_ARREARS, null) },
        { status: 'firing', labels: wallLabels(FP_UNMAPPED, RESET) },
      ]),
    );
    expect(res).toEqual({ status: 200, body: { paused: [12, 13], unmapped: [FP_UNMAPPED], ignored: [] } });
    expect(calls).toEqual([
      { method: 'PUT', url: '/api/channel/', auth: `Bearer ${TOKEN}`, user: '1', body: { id: 12, status: 2 } },
      { method: 'PUT', url: '/api/channel/', auth: `Bearer ${TOKEN}`, user: '1', body: { id: 13, status: 2 } },
    ]);
  });

  it('a repeat notification does not disable again', async () => {
    await post(webhook([{ status: 'firing', labels: wallLabels(FP_WALL, RESET) }]));
    expect(calls).toHaveLength(2);
  });

  it('re-enables the channel once the reset (plus grace) has passed, and only that one', async () => {
    clock.now = RESET + GRACE - 1;
    expect(await pauser.sweep()).toEqual([]);
    clock.now = RESET + GRACE;
    expect(await pauser.sweep()).toEqual([12]);
    expect(calls.at(-1)?.body).toEqual({ id: 12, status: 1 });
    // Arrears (no reset time) stay disabled for a person.
    clock.now = RESET + 30 * 24 * 3_600_000;
    expect(await pauser.sweep()).toEqual([]);
    expect([...pauser.paused.keys()]).toEqual([13]);
    expect(calls).toHaveLength(3);
  });

  it('a wall whose reset already passed, or a resolved one, changes nothing', async () => {
    const res = await post(
      webhook([
        { status: 'firing', labels: wallLabels(FP_WALL, RESET) },
        { status: 'resolved', labels: wallLabels(FP_ARREARS, null) },
      ]),
    );
    expect(res.body).toEqual({ paused: [], unmapped: [], ignored: [12, 13] });
    expect(calls).toHaveLength(3);
  });

  it('answers 400 to a body that is not JSON; a refusal of the gateway is an error, not a silent success', async () => {
    expect((await post('not json')).status).toBe(400);
    const refused = createPauser({ gatewayUrl, token: 'wrong', channels: { [FP_WALL]: 12 }, now: () => NOW });
    await expect(refused.handle(webhook([{ status: 'firing', labels: wallLabels(FP_WALL, RESET) }]))).rejects.toThrow(
      /gateway refused channel 12 status 2: 200 no permission/,
    );
  });

  it('says which gateway it cannot reach', async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const down = createPauser({
      gatewayUrl: `http://127.0.0.1:${port}`,
      token: TOKEN,
      channels: { [FP_WALL]: 12 },
      now: () => NOW,
    });
    await expect(down.handle(webhook([{ status: 'firing', labels: wallLabels(FP_WALL, RESET) }]))).rejects.toThrow(
      `cannot reach the gateway at http://127.0.0.1:${port} (GATEWAY_URL): ECONNREFUSED`,
    );
  });

  it('refuses to start without the gateway URL or token', () => {
    expect(() => createPauser({ token: TOKEN, channels: {} })).toThrow(/GATEWAY_URL/);
    expect(() => createPauser({ gatewayUrl, channels: {} })).toThrow(/GATEWAY_TOKEN/);
  });
});
