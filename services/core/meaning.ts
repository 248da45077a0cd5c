// What an error message means, in English and Chinese, without any provider table: the generic layer the
// classifier falls back on for unknown codes, generic code fields and bare statuses. Keywords count in
// prose only (URLs are cut out first); the period decides quota vs rate_limit. Also relative retry hints
// (`try again in 7.66s`). Pure.
import type { Category } from './types.js';

const URL = /\b(?:https?:\/\/|www\.)\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|cn|ai|io|ms|net|org|dev|app)(?:\/\S*)?/gi;

/** The message with links removed: a help link (`aka.ms/oai/quotaincrease`) decides nothing. */
export function withoutUrls(message: string): string {
  return message.includes('.') ? message.replace(URL, ' ') : message;
}

// Signals, each a regex over the URL-free text. Order of the checks below is the tie-break order.
const CONNECTION =
  /econnreset|econnrefused|econnaborted|enotfound|eai_again|epipe|ehostunreach|enetunreach|socket hang ?up|connection (?:reset|refused|closed|aborted|error|failed|lost)|connect(?:ion)? (?:timeout|timed out)|network (?:error|is unreachable)|networkerror|fetch failed|failed to fetch|getaddrinfo|dns|tls|ssl|certificate|premature close|other side closed|unexpected eof|stream (?:closed|disconnected)|und_err_socket|网络错误|网络异常|连接(?:失败|超时|被重置|中断)|failed to connect|unable to connect|could not connect|internet connection|socket connection|closed unexpectedly|connection was closed|do request failed|:\s*EOF\b|err_network|cannot be reached|could not (?:be )?reach|can't reach|unreachable|connect: connection refused|error while dialing/i;
const TIMEOUT = /timed? ?out|timeout|deadline[ _]exceeded|deadline expired|took too long|超时|响应时间过长/i;
const BALANCE =
  /balance|arrear|overdue|recharge|top[ -]?up|insufficient[ _]?(?:funds|credits?|quota|user quota|account)|credits?\b(?! card)|billing|payment|paid plan|purchase|subscription (?:has )?(?:expired|ended)|plan (?:has )?expired|exceeded_current_quota|exceeded your current quota|余额|欠费|充值|资源包|账单|付费|购买|额度不足|账户额度|用户额度|good standing|limit.{0,80}paused|paused.{0,40}limit|budget/i;
const PERIOD_LONG =
  /\b(?:daily|per[ _-]?day|a day|each day|per[ _-]?month|monthly|per[ _-]?week|weekly|5[ -]?hours?|five hours|rpd|tpd|requestsperday|perday|permonth|free[ _-]?tier|free (?:allocated )?quota)\b|usage limit|weekly\/monthly|limit:\s*0\b|quota(?:_| )?value['"]?\s*[:=]\s*['"]?0\b|每日|每天|日限额|每周|每月|周限额|月限额|5\s*小时|五小时|当日|今日/i;
const PERIOD_SHORT =
  /per[ _-]?(?:\d+ )?(?:second|minute|min\b|sec\b)|\/\s*(?:min|minute|s|sec)\b|\b(?:rpm|tpm|qps|rps|tps|ipm|rpm\/tpm)\b|requests? per minute|tokens? per minute|perminute|persecond|concurren|frequency|too (?:fast|frequent)|every minute|in a short|每分钟|每秒|并发|频率|过于频繁|过快/i;
const RATE =
  /rate[ _-]?limit|too many requests|throttl|slow down|request limit|请求过多|请求太多|限流|限速|wait before trying|访问过于频繁|过于频繁|token bucket|too many 429|\d+ (?:requests? )?per (?:\d+ )?(?:second|minute)/i;
const LIMIT =
  /limit|quota|exceed|exhaust|reached|used up|too many|too high|过高|过大|配额|限额|上限|用量|用尽|耗尽|超出/i;
const OVERLOAD =
  /overload|over ?capacity|high (?:traffic|demand|load)|heavy load|at capacity|no capacity|capacity (?:exceeded|constraints|limit)|currently unavailable|temporarily unavailable|service unavailable|server is busy|servers? (?:are|is) busy|system is busy|engine.{0,20}busy|try (?:again )?(?:with )?another model|is currently loading|try a different model|unavailable_error|繁忙|过载|访问量过大|负载|拥挤|服务不可用|暂不可用|\bbusy\b/i;
// Stated so plainly that they beat a rate-limit wrapper (`RateLimitError ... high traffic`).
const STRONG_OVERLOAD = /overloaded|high traffic|high demand|over ?capacity|负载已饱和|饱和|过载/i;
const STRICT_CONTEXT =
  /context (?:length|window) (?:exceeded|is exceeded)|maximum context length|exceeds? (?:the )?(?:model'?s? )?(?:maximum )?context|prompt is too long|input is too long|tokens?.{0,80}exceeds? max/i;
const STRICT_TIMEOUT = /read timed? ?out|timed out waiting|deadline exceeded|request timed out/i;
const LOCATION =
  /(?:user |your )?(?:location|country|region|territory)(?: or region)? (?:is )?not supported|unsupported[ _](?:country|region|location)|not available in your (?:country|region)|不支持.{0,6}(?:地区|国家)/i;
const LOAD_FAILURE =
  /failed to load (?:the )?model|error loading model|unable to allocate|runner process has terminated|model failed to load|could not load (?:the )?model|cannot load (?:the )?model|out of memory|\boom\b|cuda error/i;
const CONTEXT =
  /context[ _-]?(?:length|window|size)|maximum context|prompt is too long|(?:input|prompt|request|message|text|content)s? (?:is |are )?too long|too many (?:input )?tokens|exceeds? (?:the )?(?:max(?:imum)?|model'?s?) (?:context|input|token|number of tokens)|max(?:imum)? (?:input )?tokens? (?:exceeded|limit)|token (?:count|limit) exceeds?|input token count|exceeds the (?:available )?context|input length|input is too long|string too long|超长|上下文长度|长度超过|超过.{0,10}(?:长度|token)|输入过长|tokens? 超|exceeds? max(?:imum)? length|prompt exceeds|context shift|max(?:imum)?[ _]?tokens?.{0,60}(?:exceed|>|maximum allowed|greater than|limit of)|maximum allowed number of (?:output )?tokens|cannot truncate|(?:less than|at most|<=|no more than|must be <=)\s*\d+\s*tokens|tokens?.{0,80}exceeds? max|surpassing the .{0,20}context/i;
const CONTENT =
  /sensitive|unsafe|content[ _-]?(?:policy|filter|management|moderation|safety)|moderation|safety|harmful|inappropriate|prohibited content|high\s+risk|blocked (?:by|due)|blocklist|data ?inspection|敏感|违禁|不安全|违规内容|审核|风险内容|安全|exists risk|content risk|safety system|prompt blocked|blockedreason/i;
const ACCOUNT =
  /suspend|banned|\bban\b|\blocked|deactivated|disabled account|account (?:is )?(?:disabled|inactive|not active|frozen|restricted|blocked|under review)|\binactive\b|verify your (?:organization|account)|verification required|account.{0,20}(?:does not exist|not found)|organization.{0,20}(?:disabled|deactivated)|冻结|封禁|锁定|停用|禁用|账户异常|账号异常|未实名|实名认证|must be verified|organization.{0,20}verif|access terminated|terminated|access (?:has been )?paused|paused for th/i;
const AUTH =
  /(?:api[ _-]?key|token|credential|secret)s?\b.{0,40}?\b(?:is |are )?(?:invalid|expired|revoked|not valid)|invalid[ _-]?(?:(?:api|subscription|access|secret)[ _-]?)?(?:key|token|authentication|credential|x-api-key)|leaked|api[ _-]?key.{0,30}(?:invalid|not valid|incorrect|expired|missing|required|not found|wrong|revoked)|(?:incorrect|wrong|missing|no|expired|revoked|bad|malformed) (?:api[ _-]?)?(?:key|token|credentials?)|unauthori[sz]ed|unauthenticated|authenticat|auth(?:orization)? (?:header|failed|error)|token (?:is )?(?:invalid|expired)|not logged in|signature|鉴权|认证失败|令牌.{0,6}(?:无效|错误|过期|不存在)|无效的?令牌|密钥.{0,6}(?:无效|错误|过期)|无效的?(?:api ?key|令牌|密钥|token)|(?:key|token|credential|password)s?\b.{0,30}\b(?:is |are )?(?:incorrect|wrong)|authorization (?:not found|missing|required|failed|invalid)|(?:api ?key|密钥|令牌|token).{0,6}(?:无效|错误|过期|不正确)/i;
const PERMISSION =
  /permission|forbidden|not authori[sz]ed|not allowed|access denied|accessdenied|denied|no access|don't have access|do not have access|not have access|not entitled|unsupported (?:country|region|location)|region|location is not supported|not available in your|whitelist|allowlist|ip .{0,20}(?:not|denied|blocked)|无权|权限|未授权|不支持.{0,6}地区|拒绝访问|unable to access|noauth|网段|指定.{0,6}使用|无权|已被弃用/i;
const NOT_FOUND =
  /not found|notfound|does not exist|doesn't exist|no such|unknown model|model.{0,40}(?:not (?:found|exist|available|supported)|unavailable|deprecated|decommissioned|removed)|invalid model|no endpoints? found|no available (?:channel|model)|decommissioned|try pulling it|不存在|未找到|找不到|无可用渠道|模型.{0,10}(?:不可用|下线)/i;
const CONFLICT = /conflict|already (?:in progress|exists|running)|duplicate request|重复请求|正在处理/i;
const SERVER =
  /internal (?:server )?error|server error|internal_error|unexpected error|something went wrong|bad gateway|upstream (?:error|failed)|an error occurred on|服务器(?:内部)?错误|内部错误|服务异常|系统错误|server had an error|had an error while processing|unable to process|price not set|not configured|未配置|threw (?:an )?exception|exception thrown|traceback \(most recent call last\)|error occurred during (?:streaming|generation|inference|processing)/i;
const INVALID =
  /invalid|malformed|must be|is required|missing required|unsupported|not supported|unrecognized|bad request|validation|parameter|参数|格式错误|不合法|非法|不支持|deserializ|did not match any variant|could not parse|parse error|有误/i;

/**
 * The category a message states, or null when it states none. Links are ignored; quota vs rate_limit is
 * decided by the period the text names (balance and day/week/month caps -> quota; per second/minute,
 * RPM/TPM, concurrency -> rate_limit), whatever word for "limit" the provider uses.
 */
export function meaningOf(message: string): Category | null {
  if (message === '') return null;
  return memo(message).meaning;
}

/** Providers repeat their wordings, with other ids, times and counts: one reading per wording. */
interface Reading {
  meaning: Category | null;
  period: 'quota' | 'rate_limit' | null;
}
const readings = new Map<string, Reading>();
const MAX_READINGS = 5_000;

function memo(message: string): Reading {
  // Runs of two or more digits say nothing to the rules (`5 hour` and `limit: 0` keep their single digit).
  const key = message.length > 2048 ? null : message.replace(/\d{2,}/g, '#');
  let r = key === null ? undefined : readings.get(key);
  if (r === undefined) {
    const m = withoutUrls(message).replace(/\s+/g, ' ');
    r = { meaning: read(m), period: readPeriod(m) };
    if (key !== null) {
      if (readings.size >= MAX_READINGS) readings.clear();
      readings.set(key, r);
    }
  }
  return r;
}

function read(m: string): Category | null {
  const rate = RATE.test(m);
  const short = PERIOD_SHORT.test(m);
  const balance = BALANCE.test(m);
  const long = PERIOD_LONG.test(m);
  const limit = LIMIT.test(m);
  if (LOCATION.test(m)) return 'permission';
  // Plain statements of an overflow or a timeout beat a generic "high traffic" banner around them.
  if (STRICT_CONTEXT.test(m)) return 'context_length';
  if (STRICT_TIMEOUT.test(m)) return 'timeout';
  if (STRONG_OVERLOAD.test(m)) return 'overload';
  if (balance && !short) return 'quota';
  if (long && (limit || rate) && !short) return 'quota';
  if (rate || (short && limit)) return 'rate_limit';
  if (balance) return 'quota';
  if (CONTEXT.test(m)) return 'context_length';
  if (LOAD_FAILURE.test(m)) return 'server_error';
  if (OVERLOAD.test(m)) return 'overload';
  if (/quota|额度|配额/i.test(m) && limit) return 'quota';
  if (CONTENT.test(m)) return 'content_policy';
  if (ACCOUNT.test(m)) return 'account';
  if (AUTH.test(m)) return 'auth';
  if (NOT_FOUND.test(m)) return 'not_found';
  if (PERMISSION.test(m)) return 'permission';
  if (CONNECTION.test(m)) return 'network';
  if (TIMEOUT.test(m)) return 'timeout';
  if (CONFLICT.test(m)) return 'conflict';
  if (SERVER.test(m)) return 'server_error';
  if (INVALID.test(m)) return 'invalid_request';
  return null;
}

/**
 * What the period named in the text makes of a limit: per second/minute, RPM/TPM, concurrency -> rate_limit;
 * balance, credit, day/week/month/5-hour caps, a free tier of zero -> quota; null when it names none.
 */
export function periodOf(message: string): 'quota' | 'rate_limit' | null {
  if (message === '') return null;
  return memo(message).period;
}

function readPeriod(m: string): 'quota' | 'rate_limit' | null {
  if (PERIOD_SHORT.test(m)) return 'rate_limit';
  if (PERIOD_LONG.test(m) || BALANCE.test(m)) return 'quota';
  return null;
}

// Exception and error-type names, split into words: `ServiceQuotaExceededException` -> service quota exceeded.
const TYPE_WORDS: ReadonlyArray<readonly [RegExp, Category]> = [
  [/\bthrottl|\btoo many requests\b|\brate limit/, 'rate_limit'],
  [/\bquota\b|\binsufficient\b|\bbalance\b|\bbilling\b|\bpayment\b|\barrear|\boverdue\b|\bcharge\b|\bcredit/, 'quota'],
  [/\boverload|\bcapacity\b|\bunavailable\b|\bbusy\b|\bnot ready\b/, 'overload'],
  [/\bcontext\b|\btoo long\b|\btoo large\b/, 'context_length'],
  [/\bcontent\b.*\bfilter|\bmoderation\b|\bsensitive\b|\bsafety\b|\binspection\b/, 'content_policy'],
  [/\baccess denied\b|\bforbidden\b|\bpermission\b|\bunauthorized operation\b/, 'permission'],
  [/\bunauthori[sz]ed\b|\bunauthenticated\b|\bauth|\bcredential|\bapi key\b|\binvalid key\b|\bsignature\b/, 'auth'],
  [/\bnot found\b|\bnotfound\b|\bno such\b|\bunknown (?:model|endpoint)\b/, 'not_found'],
  [/\btime ?out\b|\btimed out\b|\bdeadline\b/, 'timeout'],
  [/\bconflict\b|\bduplicate\b/, 'conflict'],
  [/\bvalidation\b|\binvalid\b|\bbad request\b|\bmalformed\b|\bparameter\b|\bargument\b/, 'invalid_request'],
  [/\binternal\b|\bservice (?:error|exception)\b|\bserver\b/, 'server_error'],
  [/\bconnection\b|\bnetwork\b|\bsocket\b/, 'network'],
];

/** Splits `ThrottlingException` / `Throttling.RateQuota` / `rate_limit_exceeded` into lower-case words. */
function typeWords(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/[._\-:/]+/g, ' ')
    .toLowerCase()
    .trim();
}

/** The category an error type or exception name states (`ThrottlingException` -> rate_limit), or null. */
export function meaningOfType(name: string): Category | null {
  if (name === '' || name.length > 128) return null;
  const words = typeWords(name);
  if (/\bper (?:second|minute)\b|\brpm\b|\btpm\b|\bqps\b/.test(words)) return 'rate_limit';
  for (const [re, category] of TYPE_WORDS) if (re.test(words)) return category;
  return null;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function unitMs(unit: string): number {
  const u = unit.toLowerCase();
  if (u === 'ms' || u.startsWith('milli')) return 1;
  if (u === '秒' || u.startsWith('s')) return 1000;
  if (u === '分钟' || u === '分' || u.startsWith('m')) return 60_000;
  if (u === '小时' || u.startsWith('h')) return 3_600_000;
  return Number.NaN;
}

const RELATIVE =
  /(?:try again|retry(?!ing)|please wait|wait|retry_after|retry-after|retryDelay|resets? in|reset after|available in)["']?\s*[:=]?\s*(?:in|after|for)?\s*["'~]?((?:\d+(?:\.\d+)?\s*(?:ms|h|m|s)\s*){2,4}|\d+(?:\.\d+)?\s*(?:milliseconds?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h)\b)|(?:请在|请|等待)\s*(\d+(?:\.\d+)?)\s*(秒|分钟|分|小时)\s*(?:后|之后)/i;
const COMPOUND = /(\d+(?:\.\d+)?)\s*(ms|h|m|s)/gi;

/** A relative retry hint in a message (`try again in 7.66s`, `retry after 9 seconds`, `1m30s`) in ms, or null. */
export function relativeDelayMs(message: string): number | null {
  if (message === '') return null;
  const m = RELATIVE.exec(message);
  if (!m) return null;
  if (m[2] !== undefined) {
    const ms = Number(m[2]) * unitMs(m[3]!);
    return Number.isFinite(ms) ? Math.round(ms) : null;
  }
  const text = m[1]!;
  const single = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(text.trim());
  if (single) {
    const ms = Number(single[1]) * unitMs(single[2]!);
    return Number.isFinite(ms) ? Math.round(ms) : null;
  }
  let total = 0;
  for (const part of text.matchAll(COMPOUND)) total += Number(part[1]) * UNIT_MS[part[2]!.toLowerCase()]!;
  return Number.isFinite(total) ? Math.round(total) : null;
}
