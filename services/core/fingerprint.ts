// API keys never leave this module raw: only `fp_` + 16 hex chars of their SHA-256.
import { createHash } from 'node:crypto';

const CACHE_MAX = 10_000;
// Keys repeat heavily in a call stream; hashing each call would dominate the fast path.
const cache = new Map<string, string>();

/** `fp_` + first 16 hex chars of sha256(raw). */
export function fingerprintKey(raw: string): string {
  let fp = cache.get(raw);
  if (fp === undefined) {
    fp = `fp_${createHash('sha256').update(raw).digest('hex').slice(0, 16)}`;
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(raw, fp);
  }
  return fp;
}

const SECRET_PREFIX = /^(?:sk|rk|pk|ak|xai|key)[-_]|^AIza|^Bearer\s/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TOKENISH = /^[A-Za-z0-9._\-+/=]+$/;

/**
 * A key_id is an identifier, not a secret, and is used as given, unless it looks like a raw key
 * (`sk-...`, `AIza...`, or a long random token such as Zhipu's `<32 hex>.<16 chars>`).
 */
export function looksLikeSecret(s: string): boolean {
  if (SECRET_PREFIX.test(s)) return true;
  if (s.length < 32 || !TOKENISH.test(s) || UUID.test(s)) return false;
  let digits = 0;
  let letters = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) letters++;
  }
  return digits >= 4 && letters >= 4;
}

/** The stored identity of a key: the fingerprint of a raw key, or key_id as given (fingerprinted if secret). */
export function keyIdentity(apiKey: string, keyId: string): string {
  if (apiKey !== '') return fingerprintKey(apiKey);
  if (keyId !== '') return looksLikeSecret(keyId) ? fingerprintKey(keyId) : keyId;
  return '';
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON escapes control characters.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u2028\u2029]/;
const SECRET_HINT = /[sr]k-|AIza/;
const GENERIC_SECRET = /\b(?:sk|rk)-[A-Za-z0-9_-]{16,}|\bAIza[0-9A-Za-z_-]{30,}/g;

const escapedCache = new Map<string, string | null>();

/** The key as it appears inside JSON text when that differs from the key itself, else null. */
function jsonEscaped(k: string): string | null {
  let e = escapedCache.get(k);
  if (e === undefined) {
    e = NEEDS_ESCAPE.test(k) ? JSON.stringify(k).slice(1, -1) : null;
    if (escapedCache.size >= CACHE_MAX) escapedCache.clear();
    escapedCache.set(k, e);
  }
  return e;
}

/** Replaces the raw key (and anything shaped like an OpenAI/Google key) in a text by its fingerprint. */
export function scrubSecrets(text: string, rawKeys: readonly string[]): string {
  let out = text;
  for (const k of rawKeys) {
    if (k.length < 6) continue;
    if (out.includes(k)) out = out.split(k).join(fingerprintKey(k));
    // The body is stored as JSON text, where the key may appear escaped.
    const escaped = jsonEscaped(k);
    if (escaped !== null && out.includes(escaped)) out = out.split(escaped).join(fingerprintKey(k));
  }
  if (SECRET_HINT.test(out)) {
    out = out.replace(GENERIC_SECRET, (m) => fingerprintKey(m));
  }
  return out;
}
