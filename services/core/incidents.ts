// Provider incident or your own account? Episodes of one provider x code (or category) over time and a
// verdict on each. Pure: the store hands over per-minute error counts with the keys and tenants that
// saw them, and the provider's calls per minute.
//
// The rule (documented in the README, thresholds are parameters):
//   - A minute is hot for a provider x code when it has at least `minPerMinute` such errors and they are
//     at least `minShare` of that provider's calls in the minute.
//   - Hot minutes no more than `gapMs` apart form one episode; episodes with fewer than `minErrors`
//     errors are dropped. An episode is ongoing when its last hot minute ended less than `gapMs` before
//     the end of the range.
//   - Verdict: account-scoped when the category is about one account (quota, auth, account,
//     permission), whatever the spread; else provider-wide when at least `minKeys` keys of at least
//     `minTenants` tenants saw it, else account-scoped (one key or one tenant at a wall of its own).

export interface IncidentMinute {
  provider: string;
  /** The code, the category or '*' (by=provider). */
  group: string;
  category: string;
  /** Minute start, epoch ms. */
  minute: number;
  errors: number;
  keys: readonly string[];
  tenants: readonly string[];
}

export interface ProviderMinute {
  provider: string;
  minute: number;
  calls: number;
}

export interface IncidentOptions {
  gapMs: number;
  minPerMinute: number;
  minShare: number;
  minErrors: number;
  minKeys: number;
  minTenants: number;
  /** End of the range (epoch ms): decides "ongoing". */
  to: number;
}

export const DEFAULT_INCIDENT_OPTIONS: Omit<IncidentOptions, 'to'> = {
  gapMs: 5 * 60_000,
  minPerMinute: 3,
  minShare: 0.05,
  minErrors: 10,
  minKeys: 3,
  minTenants: 2,
};

export type Verdict = 'provider-wide' | 'account-scoped';

export interface Incident {
  provider: string;
  group: string;
  category: string;
  start: number;
  /** End of the last hot minute, epoch ms. */
  end: number;
  ongoing: boolean;
  errors: number;
  /** The provider's calls over the episode's minutes. */
  provider_calls: number;
  share: number;
  peak_per_minute: number;
  keys: number;
  tenants: number;
  verdict: Verdict;
  evidence: string;
}

const MINUTE = 60_000;
/** Categories that are about one account, never the provider's capacity. */
const ACCOUNT_CATEGORIES: ReadonlySet<string> = new Set(['quota', 'auth', 'account', 'permission']);

export function verdictOf(
  category: string,
  keys: number,
  tenants: number,
  o: Pick<IncidentOptions, 'minKeys' | 'minTenants'>,
): { verdict: Verdict; evidence: string } {
  const spread = `${keys} key${keys === 1 ? '' : 's'} of ${tenants} tenant${tenants === 1 ? '' : 's'}`;
  if (ACCOUNT_CATEGORIES.has(category)) {
    return { verdict: 'account-scoped', evidence: `${category} errors are about the account (${spread})` };
  }
  if (keys >= o.minKeys && tenants >= o.minTenants) {
    return {
      verdict: 'provider-wide',
      evidence: `${spread} at once (at least ${o.minKeys} keys of ${o.minTenants} tenants): the provider, not a key`,
    };
  }
  return {
    verdict: 'account-scoped',
    evidence: `only ${spread} (provider-wide needs ${o.minKeys} keys of ${o.minTenants} tenants)`,
  };
}

export function findIncidents(
  minutes: readonly IncidentMinute[],
  providerCalls: readonly ProviderMinute[],
  o: IncidentOptions,
): Incident[] {
  const calls = new Map<string, number>();
  for (const p of providerCalls)
    calls.set(`${p.provider}|${p.minute}`, (calls.get(`${p.provider}|${p.minute}`) ?? 0) + p.calls);
  const series = new Map<string, IncidentMinute[]>();
  for (const m of minutes) {
    const total = calls.get(`${m.provider}|${m.minute}`) ?? m.errors;
    if (m.errors < o.minPerMinute || m.errors / Math.max(total, 1) < o.minShare) continue;
    const k = `${m.provider}|${m.group}`;
    const list = series.get(k);
    if (list) list.push(m);
    else series.set(k, [m]);
  }
  const out: Incident[] = [];
  for (const list of series.values()) {
    list.sort((a, b) => a.minute - b.minute);
    let episode: IncidentMinute[] = [];
    const flush = () => {
      if (episode.length > 0) {
        const inc = summarize(episode, calls, o);
        if (inc.errors >= o.minErrors) out.push(inc);
      }
      episode = [];
    };
    for (const m of list) {
      const last = episode.at(-1);
      if (last && m.minute - last.minute > o.gapMs) flush();
      episode.push(m);
    }
    flush();
  }
  return out.sort((a, b) => a.start - b.start || (a.provider < b.provider ? -1 : a.provider > b.provider ? 1 : 0));
}

function summarize(episode: IncidentMinute[], calls: Map<string, number>, o: IncidentOptions): Incident {
  const first = episode[0]!;
  const start = first.minute;
  const end = episode.at(-1)!.minute + MINUTE;
  const keys = new Set<string>();
  const tenants = new Set<string>();
  let errors = 0;
  let peak = 0;
  const categories = new Map<string, number>();
  for (const m of episode) {
    for (const k of m.keys) keys.add(k);
    for (const t of m.tenants) tenants.add(t);
    errors += m.errors;
    peak = Math.max(peak, m.errors);
    categories.set(m.category, (categories.get(m.category) ?? 0) + m.errors);
  }
  let providerCalls = 0;
  for (let t = start; t < end; t += MINUTE) providerCalls += calls.get(`${first.provider}|${t}`) ?? 0;
  providerCalls = Math.max(providerCalls, errors);
  const category = [...categories].sort((a, b) => b[1] - a[1])[0]![0];
  const v = verdictOf(category, keys.size, tenants.size, o);
  const share = errors / providerCalls;
  return {
    provider: first.provider,
    group: first.group,
    category,
    start,
    end,
    ongoing: end >= o.to - o.gapMs,
    errors,
    provider_calls: providerCalls,
    share,
    peak_per_minute: peak,
    keys: keys.size,
    tenants: tenants.size,
    verdict: v.verdict,
    evidence: `${v.evidence}; ${Math.round(share * 100)}% of ${first.provider}'s calls over the episode`,
  };
}
