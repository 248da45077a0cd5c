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

const FINGERPRINT = /^fp_[0-9a-f]{16}$/;
const SECRET_PREFIX = /^(?:sk|rk|pk|ak|xai|key)[-_]|^AIza|^Bearer\s/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TOKENISH = /^[A-Za-z0-9._\-+/=]+$/;

/**
 * A key_id is an identifier, not a secret, and is used as given, unless it looks like a raw key
 * (`sk-...`, `AIza...`, or a long random token such as Zhipu's `<32 hex>.<16 chars>`).
 */
function looksLikeSecret(s: string): boolean {
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
  // A key scrubbed earlier (a replayed dead letter) is its fingerprint already.
  if (apiKey !== '') return FINGERPRINT.test(apiKey) ? apiKey : fingerprintKey(apiKey);
  if (keyId !== '') return looksLikeSecret(keyId) ? fingerprintKey(keyId) : keyId;
  return '';
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON escapes control characters.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u2028\u2029]/;

// Cheap gate before the patterns below: most stored texts (error messages) mention none of these.
const SECRET_HINT = /[sr]k-|AIza|xai-|bearer|basic\s|key|auth|token|secret|passw|sig(?:nature)?=/i;
// Raw keys by their shape: OpenAI/Anthropic/DeepSeek `sk-`, restricted `rk-`, Google `AIza`, xAI.
const KEY_SHAPES = /\b(?:sk|rk)-[A-Za-z0-9_-]{16,}|\bAIza[0-9A-Za-z_-]{30,}|\bxai-[A-Za-z0-9]{20,}/g;
// Zhipu keys `<32 hex>.<16 chars>`: found by hasZhipuShape first (a regex scanning every position for
// 32 hex digits cost more than everything else here together).
const ZHIPU_SHAPE = /\b[0-9a-f]{32}\.[0-9A-Za-z]{16}\b/g;

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102);
}

/** True when some '.' has 32 lowercase hex digits before it. */
function hasZhipuShape(s: string): boolean {
  for (let dot = s.indexOf('.', 32); dot >= 0; dot = s.indexOf('.', dot + 1)) {
    let i = dot - 1;
    while (i >= dot - 32 && isHex(s.charCodeAt(i))) i--;
    if (i < dot - 32) return true;
  }
  return false;
}
// A credential by the name it is given: JSON fields, headers written as text, query parameters
// (`"api_key":"..."`, `Authorization: Bearer ...`, `x-api-key=...`, `?api-key=...`), also JSON-escaped
// (`\"api_key\":\"...\"`) and URL-encoded (`api-key%3D...`). The value stops at a quote, space,
// separator or bracket; an auth scheme before it is kept.
const NAMED =
  /((?:x-)?api[-_]?key|x-goog-api-key|(?:proxy-)?authorization|access[-_]?token|refresh[-_]?token|id[-_]?token|auth[-_]?token|client[-_]?secret|secret[-_]?key|password|passwd)((?:\\*["'])?\s*(?:[:=]|%3[AaDd])\s*(?:\\*["'])?)((?:Bearer|Basic|Token|Key)\s+)?([^\s"'\\,;&#<>{}()[\]]{6,})/gi;
// Query parameters that carry keys under a short name (Gemini `?key=`, signed URLs).
const QUERY =
  /([?&](?:key|token|access_token|auth|sig|signature|x-amz-signature|x-goog-signature)=)([^&#\s"'\\<>]{6,})/gi;
// `Bearer <token>` anywhere in a text.
const BEARER = /\b(Bearer\s+)([A-Za-z0-9._~+/=-]{8,})/gi;

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

/** Already a fingerprint, or a plain word ("Authorization: missing"): left as it is. */
function keep(value: string): boolean {
  return value.startsWith('fp_') || (value.length < 20 && /^[A-Za-z]+$/.test(value));
}

function fp(value: string): string {
  return keep(value) ? value : fingerprintKey(value);
}

function replaceAll(text: string, needle: string, by: string): string {
  return text.includes(needle) ? text.split(needle).join(by) : text;
}

/** A raw key and the forms it takes in stored text (JSON-escaped in bodies, URL-encoded in URLs). */
interface Needle {
  key: string;
  escaped: string | null;
  encoded: string | null;
}

/**
 * THE scrubber: every text errorscope stores or answers with (messages, bodies, dead-letter lines and
 * reasons) goes through it. Replaces by its fingerprint (`fp_` + 16 hex, so equal keys stay
 * recognisable): each raw key given (as is, JSON-escaped and URL-encoded), anything shaped like a
 * provider key, the value of any field, header or query parameter named like a credential, and
 * Bearer tokens.
 */
export function scrubSecrets(text: string, rawKeys: readonly string[] = []): string {
  return secretScrubber(rawKeys)(text);
}

/** scrubSecrets for many texts of one call: the keys' forms are worked out once. */
export function secretScrubber(rawKeys: readonly string[]): (text: string) => string {
  const needles: Needle[] = [];
  for (const key of rawKeys) {
    if (key.length < 6) continue;
    const encoded = encodeURIComponent(key);
    needles.push({ key, escaped: jsonEscaped(key), encoded: encoded === key ? null : encoded });
  }
  return (text) => scrub(text, needles);
}

function scrub(text: string, needles: readonly Needle[]): string {
  let out = text;
  for (const { key, escaped, encoded } of needles) {
    // Most texts scrubbed (a call's model, tenant, endpoint) hold no key: no fingerprint to compute.
    if (
      !(out.includes(key) || (escaped !== null && out.includes(escaped)) || (encoded !== null && out.includes(encoded)))
    )
      continue;
    const f = fingerprintKey(key);
    out = replaceAll(out, key, f);
    if (escaped !== null) out = replaceAll(out, escaped, f);
    if (encoded !== null) out = replaceAll(out, encoded, f);
  }
  if (SECRET_HINT.test(out)) {
    out = out
      .replace(NAMED, (_m, name: string, sep: string, scheme: string | undefined, value: string) => {
        return `${name}${sep}${scheme ?? ''}${fp(value)}`;
      })
      .replace(QUERY, (_m, name: string, value: string) => `${name}${fp(value)}`)
      .replace(BEARER, (_m, scheme: string, value: string) => `${scheme}${fp(value)}`)
      .replace(KEY_SHAPES, (m) => fp(m));
  }
  if (hasZhipuShape(out)) out = out.replace(ZHIPU_SHAPE, (m) => fp(m));
  return out;
}
