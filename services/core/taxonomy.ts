// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${var}` are the providers' message template placeholders, not JS templates.
// The error taxonomy as data: one block of rows per provider. Adding a code is adding a row.
// Sources: the provider documents the project was created from (Zhipu/Z.AI error codes, rate limits, usage limits; seeds 000-004) and the public OpenAI, Anthropic and Gemini
// error references. Rows that share (provider, code) are variants told apart by `match` (a case-insensitive
// regex over the message); the variant without `match` is the default.
import type { Category } from './types.js';

export interface TaxonomyEntry {
  provider: string;
  code: string;
  http_status: number | null;
  category: Category;
  retryable: boolean;
  title: string;
  remedy: string;
  /** Message templates with `${var}` placeholders (English / Chinese), null when unknown. */
  template_en: string | null;
  template_zh: string | null;
  /** Regex source selecting this variant among rows with the same (provider, code); null = default. */
  match: string | null;
  /** Where the row comes from (seed file id or public reference). */
  source: string;
  /**
   * A quota wall: the key is blocked until a usage limit resets or the account is topped up, so every
   * call before then fails the same way. The quota-wall routes, alerts and dashboards watch these codes.
   */
  quota_wall: boolean;
}

/** Providers sharing one code space are listed together; `*` rows apply to any provider. */
export const GENERIC = '*';

type Row = [
  code: string | number,
  http: number | null,
  category: Category,
  retryable: boolean,
  title: string,
  remedy: string,
  extra?: { en?: string; zh?: string; match?: string; source?: string; wall?: true },
];

function rows(providers: readonly string[], source: string, list: readonly Row[]): TaxonomyEntry[] {
  const out: TaxonomyEntry[] = [];
  for (const provider of providers) {
    for (const [code, http, category, retryable, title, remedy, extra] of list) {
      out.push({
        provider,
        code: String(code),
        http_status: http,
        category,
        retryable,
        title,
        remedy,
        template_en: extra?.en ?? null,
        template_zh: extra?.zh ?? null,
        match: extra?.match ?? null,
        source: extra?.source ?? source,
        quota_wall: extra?.wall ?? false,
      });
    }
  }
  return out;
}

/** Zhipu's bigmodel.cn and its international twin z.ai: one code space, one set of rows. */
const ZHIPU_FAMILY = ['zhipu', 'zai'] as const;

export function isZhipuFamily(provider: string): boolean {
  return (ZHIPU_FAMILY as readonly string[]).includes(provider);
}

// Seeds 000/001/002: the HTTP status table (same for bigmodel.cn and z.ai).
const ZHIPU_HTTP: Row[] = [
  [200, 200, 'ok', false, 'Business processing successful', '-'],
  [400, 400, 'invalid_request', false, 'Parameter error', 'Check if the interface parameters are correct'],
  [
    400,
    400,
    'invalid_request',
    false,
    'File content anomaly',
    'Check if the jsonl file content meets the requirements',
    { match: 'jsonl|file content|文件内容' },
  ],
  [
    401,
    401,
    'auth',
    false,
    'Authentication failure or Token timeout',
    'Confirm if the API KEY and authentication token are correctly generated',
  ],
  [404, 404, 'not_found', false, 'Fine-tuning task does not exist', 'Ensure the fine-tuning task ID is correct'],
  [
    404,
    404,
    'permission',
    false,
    'Fine-tuning feature not available',
    'Contact customer service to activate this feature',
    { match: 'not available|not activated|未开通' },
  ],
  [
    429,
    429,
    'rate_limit',
    true,
    'Interface request concurrency exceeded',
    'Adjust the request frequency or contact business to increase concurrency',
  ],
  [
    429,
    429,
    'rate_limit',
    true,
    'File upload frequency too fast',
    'Wait briefly and then request again',
    { match: 'upload|上传' },
  ],
  [
    429,
    429,
    'quota',
    false,
    'Account balance exhausted',
    'Recharge the account to ensure sufficient balance',
    { match: 'balance|arrears|recharge|余额|欠费|充值|资源包' },
  ],
  [
    429,
    429,
    'account',
    false,
    'Terminal account anomaly',
    'Terminal user has violation, account has been locked',
    { match: 'terminal|终端' },
  ],
  [
    429,
    429,
    'account',
    false,
    'Account anomaly',
    'Account has violation, please contact platform customer service (service@zhipuai.cn) to unlock',
    { match: 'anomal|violation|违规|异常|锁定|locked' },
  ],
  [
    434,
    434,
    'permission',
    false,
    'No API permission, fine-tuning API and file management API are in beta phase, we will open soon',
    'Wait for the interface to be officially open or contact platform customer service to apply for beta',
  ],
  [
    435,
    435,
    'invalid_request',
    false,
    'File size exceeds 100MB',
    'Use a jsonl file smaller than 100MB or upload in batches',
  ],
  [
    500,
    500,
    'server_error',
    true,
    'Server error occurred while processing the request',
    'Try again later or contact customer service',
  ],
];

// Seed 001 (newest Z.AI page; 002 is an older subset). Chinese wording from the bigmodel.cn page where known.
const ZHIPU_CODES: Row[] = [
  // Business code 500 shares its key with the HTTP 500 row above: a variant picked by its own wording.
  [
    500,
    500,
    'server_error',
    true,
    'Internal Error',
    'Try again later; contact customer service if it persists',
    { match: '^internal error' },
  ],
  [
    1000,
    401,
    'auth',
    false,
    'Authentication Failed',
    'Check the API key and the Authorization header',
    { en: 'Authentication Failed', zh: '身份验证失败' },
  ],
  [
    1001,
    401,
    'auth',
    false,
    'Authentication parameter not received in Header, unable to authenticate',
    'Send the API key in the Authorization header',
    {
      en: 'Authentication parameter not received in Header, unable to authenticate',
      zh: 'Header中未收到Authentication参数，无法进行身份验证',
    },
  ],
  [
    1002,
    401,
    'auth',
    false,
    'Invalid Authentication Token, please confirm the correct transmission of the Authentication Token',
    'Confirm the API key / token is correct and passed unchanged',
    {
      en: 'Invalid Authentication Token, please confirm the correct transmission of the Authentication Token',
      zh: 'Authentication Token非法，请确认Authentication Token正确传递',
    },
  ],
  [
    1003,
    401,
    'auth',
    false,
    'Authentication Token expired, please regenerate/obtain',
    'Regenerate the JWT token or use the API key directly',
    { en: 'Authentication Token expired, please regenerate/obtain', zh: 'Authentication Token已过期，请重新生成/获取' },
  ],
  [
    1004,
    401,
    'auth',
    false,
    'Authentication failed with the provided Authentication Token',
    'Check the API key; create a new one if it was deleted',
    {
      en: 'Authentication failed with the provided Authentication Token',
      zh: '提供的Authentication Token认证失败',
    },
  ],
  [1100, null, 'account', true, 'Account Read/Write', 'Try again later; contact customer service if it persists'],
  [
    1110,
    null,
    'account',
    false,
    'Your account is currently inactive. Please check your account information',
    'Check the account status in the console',
    { zh: '您的账户当前处于非活动状态。请检查账户信息' },
  ],
  [
    1111,
    null,
    'account',
    false,
    'Your account does not exist',
    'Check that the key belongs to an existing account',
    { zh: '您的账户不存在' },
  ],
  [
    1112,
    null,
    'account',
    false,
    'Your account has been locked, please contact customer service to unlock',
    'Contact customer service to unlock the account',
    { zh: '您的账户已被锁定，请联系客服解锁' },
  ],
  [
    1113,
    429,
    'quota',
    false,
    'Your account is in arrears, please recharge and try again',
    'Recharge the account or buy a resource package',
    {
      en: 'Your account is in arrears, please recharge and try again',
      zh: '您的账户已欠费，请充值后重试',
      wall: true,
    },
  ],
  [
    1113,
    429,
    'quota',
    false,
    'Insufficient balance or no resource package. Please recharge.',
    'Recharge the account or buy a resource package',
    {
      en: 'Insufficient balance or no resource package. Please recharge.',
      zh: '余额不足或无可用资源包,请充值。',
      match: 'insufficient balance|resource package|余额不足|资源包',
      source: 'field (live wording)',
      wall: true,
    },
  ],
  [
    1120,
    null,
    'account',
    true,
    'Unable to successfully access your account, please try again later',
    'Try again later',
    { zh: '无法成功访问您的账户，请稍后重试' },
  ],
  [
    1121,
    null,
    'account',
    false,
    'Account has irregular activities and has been locked',
    'Contact customer service to unlock the account',
    { zh: '账户存在违规行为，已被锁定' },
  ],
  [1200, null, 'invalid_request', false, 'API Call Error', 'Check the request against the documentation'],
  [
    1210,
    400,
    'invalid_request',
    false,
    'Incorrect API call parameters, please check the documentation',
    'Check the request parameters against the documentation',
    { zh: 'API 调用参数有误，请检查文档' },
  ],
  [
    1211,
    400,
    'not_found',
    false,
    'Model does not exist, please check the model code',
    'Check the model name (model code) in the request',
    { zh: '模型不存在，请检查模型代码' },
  ],
  [
    1212,
    400,
    'invalid_request',
    false,
    'Current model does not support ${method} call method',
    'Use a call method the model supports (e.g. non-streaming / async)',
    { en: 'Current model does not support ${method} call method', zh: '当前模型不支持${method}调用方式' },
  ],
  [
    1213,
    400,
    'invalid_request',
    false,
    '${field} parameter not received properly',
    'Send the named parameter',
    { en: '${field} parameter not received properly', zh: '未正常接收到${field}参数' },
  ],
  [
    1214,
    400,
    'invalid_request',
    false,
    'Invalid ${field} parameter. Please check the documentation',
    'Fix the named parameter',
    { en: 'Invalid ${field} parameter. Please check the documentation', zh: '${field}参数非法。请检查文档' },
  ],
  [
    1215,
    400,
    'invalid_request',
    false,
    '${field1} and ${field2} cannot be set simultaneously, please check the documentation',
    'Send only one of the two parameters',
    {
      en: '${field1} and ${field2} cannot be set simultaneously, please check the documentation',
      zh: '${field1}与${field2}不能同时设置，请检查文档',
    },
  ],
  [
    1220,
    null,
    'permission',
    false,
    'You do not have permission to access ${API_name}',
    'Request access to the API or use another one',
    { en: 'You do not have permission to access ${API_name}', zh: '您无权访问${API_name}' },
  ],
  [
    1221,
    null,
    'not_found',
    false,
    'API ${API_name} has been taken offline',
    'Migrate to the replacement API',
    { en: 'API ${API_name} has been taken offline', zh: 'API ${API_name}已下线' },
  ],
  [
    1222,
    null,
    'not_found',
    false,
    'API ${API_name} does not exist',
    'Check the endpoint path',
    { en: 'API ${API_name} does not exist', zh: 'API ${API_name}不存在' },
  ],
  [1230, null, 'server_error', true, 'API call process error', 'Try again later', { zh: 'API调用流程出错' }],
  [
    1231,
    null,
    'conflict',
    true,
    'You already have a request: ${request_id}',
    'Wait for the running request to finish',
    { en: 'You already have a request: ${request_id}', zh: '您已经有请求：${request_id}' },
  ],
  [
    1234,
    null,
    'network',
    true,
    'Network error, error id: ${error_id}, please contact customer service',
    'Retry; contact customer service with the error id if it persists',
    {
      en: 'Network error, error id: ${error_id}, please contact customer service',
      zh: '网络错误，错误id：${error_id}，请联系客服',
    },
  ],
  [
    1261,
    400,
    'context_length',
    false,
    'Prompt exceeds max length',
    'Shorten the prompt or the conversation history',
    { zh: 'Prompt 超长' },
  ],
  [
    1300,
    null,
    'content_policy',
    false,
    'API call blocked by policy',
    'Review the request content',
    { zh: 'API 调用被策略阻止' },
  ],
  [
    1301,
    400,
    'content_policy',
    false,
    'System detected potentially unsafe or sensitive content in input or generation',
    'Avoid prompts that may generate sensitive content',
    { zh: '系统检测到输入或生成内容可能包含不安全或敏感内容' },
  ],
  [
    1302,
    429,
    'rate_limit',
    true,
    'High concurrency usage of this API, please reduce concurrency or contact customer service to increase limits',
    'Reduce concurrency or ask for a higher limit',
    { zh: '您当前使用该API的并发数过高，请降低并发，或联系客服增加限额' },
  ],
  [
    1303,
    429,
    'rate_limit',
    true,
    'High frequency usage of this API, please reduce frequency or contact customer service to increase limits',
    'Reduce the request rate or ask for a higher limit',
    { zh: '您当前使用该API的频率过高，请降低频率，或联系客服增加限额' },
  ],
  [
    1304,
    429,
    'quota',
    false,
    'Daily call limit for this API reached. For more requests, please contact customer service to purchase',
    'Wait for the daily reset or buy more calls',
    { zh: '该API已达今日调用次数限额，如有更多需求，请联系客服购买', wall: true },
  ],
  [
    1305,
    429,
    'rate_limit',
    true,
    'The API has triggered a rate limit.',
    'Back off and retry later',
    { en: 'The API has triggered a rate limit' },
  ],
  [
    1308,
    429,
    'quota',
    false,
    'Usage limit reached for the period. Your limit will reset at ${next_flush_time}',
    'Wait until the reset time or upgrade the plan',
    {
      // The seed lost the period ("Usage limit reached for ."); live messages say e.g. "for 5 hour".
      en: 'Usage limit reached for ${period}. Your limit will reset at ${next_flush_time}',
      zh: '已达到 ${period} 的使用上限。您的限额将在 ${next_flush_time} 重置',
      wall: true,
    },
  ],
  [
    1309,
    429,
    'quota',
    false,
    'Your GLM Coding Plan package has expired and is temporarily unavailable',
    'Renew the subscription at https://z.ai/subscribe',
    { wall: true },
  ],
  [
    1310,
    429,
    'quota',
    false,
    'Weekly/Monthly Limit Exhausted. Your limit will reset at ${next_flush_time}',
    'Wait until the reset time or upgrade the plan',
    { en: 'Weekly/Monthly Limit Exhausted. Your limit will reset at ${next_flush_time}', wall: true },
  ],
  [
    1311,
    429,
    'permission',
    false,
    'Your current subscription plan does not yet include access to ${model_name}',
    'Use a model included in the plan or upgrade',
    { en: 'Your current subscription plan does not yet include access to ${model_name}' },
  ],
  [
    1312,
    429,
    'overload',
    true,
    'This model is currently experiencing high traffic',
    'Retry later or switch to the suggested model',
    {
      en: 'This model is currently experiencing high traffic. Please try again later, or switch to another model such as ${model_name}',
    },
  ],
  [
    1313,
    429,
    'rate_limit',
    false,
    'Your usage violates the Fair Use Policy. Your request rate has been restricted',
    'Request lifting the restriction in Personal Center -> My Subscription',
  ],
  // Seed 001 note: SSE streams report failures through finish_reason only (HTTP 200).
  [
    'sensitive',
    200,
    'content_policy',
    false,
    'Stream stopped: sensitive content',
    'Review the prompt; the output was cut by the safety filter',
  ],
  ['network_error', 200, 'network', true, 'Stream stopped: network error during inference', 'Retry the request'],
];

// Seed 003: one-api/new-api gateway. `-` identifiers in the seed are rows keyed by HTTP status.
const NEW_API: Row[] = [
  [
    503,
    503,
    'not_found',
    false,
    'No available channel to handle request',
    'Check the model ID and that your group may use this model',
    { match: 'no available channel|incorrect model|model id|无可用渠道' },
  ],
  [
    503,
    503,
    'rate_limit',
    true,
    'Rate limited by provider',
    'Contact support to request higher concurrency or try again later',
    { match: 'rate limit|限流' },
  ],
  [429, 429, 'rate_limit', true, 'Too many requests', 'Request frequency exceeds limit; try again later'],
  [
    'insufficient_user_quota',
    403,
    'quota',
    false,
    'User balance insufficient',
    'Recharge your account to continue using the API',
    { en: 'Your account balance is insufficient. Please recharge your account to continue using the API.' },
  ],
  [
    403,
    403,
    'quota',
    false,
    'User balance insufficient',
    'Recharge your account to continue using the API',
    { match: 'balance|quota|余额|额度' },
  ],
  [
    403,
    403,
    'account',
    false,
    'Account suspended',
    'User status disabled or blacklisted; contact the gateway admin',
    { match: 'suspended|blacklist|禁用|封禁' },
  ],
  [
    403,
    403,
    'permission',
    false,
    'Insufficient permissions',
    'User role permissions insufficient',
    { match: 'insufficient permission|权限不足' },
  ],
  [
    403,
    403,
    'permission',
    false,
    'Key allowed only from approved IP ranges',
    "Call from an IP in the token's allowed network range",
    { match: 'ip range|ip 范围' },
  ],
  [
    403,
    403,
    'permission',
    false,
    'Key not authorized to access the requested model',
    'Use a token that allows the requested model',
    { match: 'not authorized to access the requested model|无权访问' },
  ],
  [
    403,
    403,
    'permission',
    false,
    'Key error (non-admin user specifying a channel)',
    'Do not specify a channel with a non-admin token',
    { match: 'key error' },
  ],
  [
    403,
    403,
    'server_error',
    false,
    'Channel has been disabled',
    'The gateway admin must enable the channel',
    { match: 'channel.{0,20}disabled|渠道已被禁用' },
  ],
  [
    401,
    401,
    'auth',
    false,
    'Unauthorized: access token invalid or expired',
    'Use a valid access token',
    { en: 'Unauthorized – access token is invalid or expired.' },
  ],
  [
    401,
    401,
    'auth',
    false,
    'Unauthorized: no access token supplied',
    'Include a valid token in the Authorization header',
    {
      match: 'no access token|未提供',
      en: 'Unauthorized – no access token supplied; please log in and include a valid token.',
    },
  ],
  [
    400,
    400,
    'invalid_request',
    false,
    'Invalid channel ID',
    'Channel ID format error or does not exist',
    { match: 'invalid channel' },
  ],
  ['prompt_missing', 400, 'invalid_request', false, 'Prompt is required', 'Send a prompt (image generation)'],
  ['prompt_too_long', 400, 'context_length', false, 'Prompt is too long', 'Shorten the prompt'],
  ['text_too_long', 400, 'context_length', false, 'Input is too long', 'Shorten the audio input text'],
  ['size_not_supported', 400, 'invalid_request', false, 'Size not supported', 'Use an image size the model supports'],
  ['n_not_within_range', 400, 'invalid_request', false, 'Invalid value of n', 'Use an n within the valid range'],
];

// OpenAI error codes/types (public API reference, "Error codes" guide).
const OPENAI: Row[] = [
  ['invalid_api_key', 401, 'auth', false, 'Incorrect API key provided', 'Check or rotate the API key'],
  [
    'insufficient_quota',
    429,
    'quota',
    false,
    'You exceeded your current quota',
    'Check your plan and billing details; add credit',
  ],
  [
    'billing_hard_limit_reached',
    400,
    'quota',
    false,
    'Billing hard limit reached',
    'Raise the usage limit in billing settings',
  ],
  ['rate_limit_exceeded', 429, 'rate_limit', true, 'Rate limit reached (RPM/TPM)', 'Back off and retry; pace requests'],
  [
    'context_length_exceeded',
    400,
    'context_length',
    false,
    "This model's maximum context length is exceeded",
    'Shorten the messages or use a model with a larger context',
  ],
  ['model_not_found', 404, 'not_found', false, 'The model does not exist', 'Check the model name and your access'],
  ['server_error', 500, 'server_error', true, 'The server had an error', 'Retry after a brief wait'],
  ['engine_overloaded', 503, 'overload', true, 'The engine is currently overloaded', 'Retry after a brief wait'],
  [
    'unsupported_country_region_territory',
    403,
    'permission',
    false,
    'Country, region, or territory not supported',
    'Call from a supported region',
  ],
  ['account_deactivated', 401, 'account', false, 'Account deactivated', 'Contact OpenAI support'],
  ['content_policy_violation', 400, 'content_policy', false, 'Content policy violation', 'Review the request content'],
  ['content_filter', 200, 'content_policy', false, 'Output stopped by the content filter', 'Review the prompt'],
  ['unsupported_parameter', 400, 'invalid_request', false, 'Unsupported parameter', 'Remove the parameter'],
  ['unsupported_value', 400, 'invalid_request', false, 'Unsupported parameter value', 'Fix the parameter value'],
  ['invalid_request_error', 400, 'invalid_request', false, 'Invalid request', 'Fix the request (see message)'],
  [
    'invalid_request_error',
    400,
    'context_length',
    false,
    'Maximum context length exceeded',
    'Shorten the messages',
    { match: 'context length|context window|too many tokens' },
  ],
  ['authentication_error', 401, 'auth', false, 'Authentication error', 'Check the API key'],
  ['permission_error', 403, 'permission', false, 'Permission error', 'Check the organization/project access'],
  ['not_found_error', 404, 'not_found', false, 'Not found', 'Check the model or resource name'],
  ['tokens', 429, 'rate_limit', true, 'Token rate limit reached (TPM)', 'Back off and retry; pace requests'],
  ['requests', 429, 'rate_limit', true, 'Request rate limit reached (RPM)', 'Back off and retry; pace requests'],
];

// Anthropic error types (public API reference "Errors"), plus the stream stop reason `refusal`.
const ANTHROPIC: Row[] = [
  ['invalid_request_error', 400, 'invalid_request', false, 'Invalid request', 'Fix the request (see message)'],
  [
    'invalid_request_error',
    400,
    'quota',
    false,
    'Credit balance too low',
    'Add credits in Plans & Billing',
    { match: 'credit balance' },
  ],
  [
    'invalid_request_error',
    400,
    'context_length',
    false,
    'Prompt is too long',
    'Shorten the prompt or the conversation',
    { match: 'prompt is too long|context (?:window|length)|maximum.{0,20}tokens' },
  ],
  ['authentication_error', 401, 'auth', false, 'Authentication error', 'Check the x-api-key header'],
  ['billing_error', 402, 'quota', false, 'Billing error', 'Check payment details / add credits'],
  ['permission_error', 403, 'permission', false, 'Permission error', 'Check workspace and model access'],
  ['not_found_error', 404, 'not_found', false, 'Resource not found', 'Check the model name and the path'],
  ['request_too_large', 413, 'invalid_request', false, 'Request too large', 'Keep the request under the size limit'],
  ['rate_limit_error', 429, 'rate_limit', true, 'Rate limit exceeded', 'Back off (see retry-after) and retry'],
  ['api_error', 500, 'server_error', true, 'Internal API error', 'Retry after a brief wait'],
  ['timeout_error', 504, 'timeout', true, 'Request timed out', 'Retry; use streaming for long requests'],
  ['overloaded_error', 529, 'overload', true, 'API temporarily overloaded', 'Retry with backoff'],
  ['refusal', 200, 'content_policy', false, 'Stream stopped: refusal', 'Review the prompt'],
];

// Gemini API: google.rpc status names (public "Troubleshooting / API errors" page) and blocking finish reasons.
const GEMINI: Row[] = [
  [
    'INVALID_ARGUMENT',
    400,
    'invalid_request',
    false,
    'Request body is malformed',
    'Check the request format and parameters',
  ],
  [
    'INVALID_ARGUMENT',
    400,
    'auth',
    false,
    'API key not valid',
    'Pass a valid API key',
    { match: 'api key not valid|api_key_invalid|api key expired' },
  ],
  [
    'INVALID_ARGUMENT',
    400,
    'context_length',
    false,
    'Input token count exceeds the maximum',
    'Shorten the input',
    { match: 'token count|exceeds the maximum number of tokens' },
  ],
  [
    'FAILED_PRECONDITION',
    400,
    'permission',
    false,
    'Free tier not available in your country / billing not enabled',
    'Enable billing on the project',
  ],
  ['UNAUTHENTICATED', 401, 'auth', false, 'Request had invalid authentication credentials', 'Check the API key'],
  ['PERMISSION_DENIED', 403, 'permission', false, 'API key lacks permission', 'Check the key and tuned-model access'],
  ['NOT_FOUND', 404, 'not_found', false, 'Requested resource not found', 'Check the model name and API version'],
  [
    'RESOURCE_EXHAUSTED',
    429,
    'rate_limit',
    true,
    'Rate limit exceeded',
    'Stay within the rate limits or request a quota increase',
  ],
  ['INTERNAL', 500, 'server_error', true, 'Unexpected error on Google side', 'Retry; reduce input context'],
  ['UNAVAILABLE', 503, 'overload', true, 'The service is temporarily overloaded or down', 'Retry with backoff'],
  ['DEADLINE_EXCEEDED', 504, 'timeout', true, 'Deadline exceeded', 'Set a larger client timeout'],
  ['SAFETY', 200, 'content_policy', false, 'Stream stopped: safety', 'Review the prompt / safety settings'],
  ['RECITATION', 200, 'content_policy', false, 'Stream stopped: recitation', 'Rephrase the prompt'],
  ['BLOCKLIST', 200, 'content_policy', false, 'Stream stopped: blocklisted term', 'Review the prompt'],
  ['PROHIBITED_CONTENT', 200, 'content_policy', false, 'Stream stopped: prohibited content', 'Review the prompt'],
  ['SPII', 200, 'content_policy', false, 'Stream stopped: sensitive personal information', 'Review the prompt'],
];

// Seed 004 (what an HTTP status usually means when calling providers) plus the transport codes seen without one.
const HTTP_GENERIC: Row[] = [
  [200, 200, 'ok', false, 'OK', '-', { source: 'rfc9110' }],
  [
    400,
    400,
    'invalid_request',
    false,
    'Request body format error',
    'Check the error content; remove unsupported parameters; reduce image volume',
  ],
  [
    400,
    400,
    'context_length',
    false,
    'Context exceeds limit',
    'Clear the context, start a new conversation or reduce the number of context items',
    { match: 'context|too long|maximum.{0,30}tokens|token limit|超长|上下文' },
  ],
  [
    401,
    401,
    'auth',
    false,
    'Authentication failed',
    'Check the key and the provider account status (model not supported or account banned)',
  ],
  [402, 402, 'quota', false, 'Payment required', 'Add credit', { source: 'rfc9110' }],
  [403, 403, 'permission', false, 'Request operation unauthorized', 'Follow the error message of the provider'],
  [
    403,
    403,
    'quota',
    false,
    'Quota or balance insufficient',
    'Recharge the account',
    { match: 'quota|balance|credit|余额|额度|欠费' },
  ],
  [404, 404, 'not_found', false, 'Requested resource not found', 'Check the request path and model name'],
  [408, 408, 'timeout', true, 'Request timeout', 'Retry', { source: 'rfc9110' }],
  [409, 409, 'conflict', true, 'Conflict', 'Retry later', { source: 'rfc9110' }],
  [413, 413, 'invalid_request', false, 'Payload too large', 'Reduce the request size', { source: 'rfc9110' }],
  [
    422,
    422,
    'invalid_request',
    false,
    'Request format is correct, but semantic error',
    'Fix the JSON semantics (null values, wrong types)',
  ],
  [429, 429, 'rate_limit', true, 'Request rate reached limit', 'Request rate (TPM or RPM) reached limit; cool down'],
  [
    429,
    429,
    'quota',
    false,
    'Quota or balance exhausted',
    'Recharge or wait for the quota period to reset',
    { match: 'quota|balance|arrears|credit|exhausted|usage limit|余额|欠费|额度|上限' },
  ],
  [500, 500, 'server_error', true, 'Internal server error', 'If it persists, contact the upstream service provider'],
  [
    501,
    501,
    'invalid_request',
    false,
    'Server does not support the requested function',
    'Use a supported endpoint/feature',
  ],
  [
    502,
    502,
    'server_error',
    true,
    'Bad gateway: invalid response from the upstream server',
    'Retry; check the gateway/upstream',
  ],
  [
    503,
    503,
    'overload',
    true,
    'Service temporarily overloaded or under maintenance',
    'Retry after the Retry-After delay',
  ],
  [504, 504, 'timeout', true, 'Gateway timeout from the upstream server', 'Retry; use streaming for long requests'],
  [529, 529, 'overload', true, 'Overloaded', 'Retry with backoff', { source: 'anthropic' }],
  ['ECONNRESET', null, 'network', true, 'Connection reset', 'Retry', { source: 'node' }],
  ['ECONNREFUSED', null, 'network', true, 'Connection refused', 'Check the endpoint; retry', { source: 'node' }],
  ['ENOTFOUND', null, 'network', false, 'DNS name not found', 'Check the endpoint host', { source: 'node' }],
  ['EAI_AGAIN', null, 'network', true, 'DNS lookup timed out', 'Retry', { source: 'node' }],
  ['EPIPE', null, 'network', true, 'Broken pipe', 'Retry', { source: 'node' }],
  ['ETIMEDOUT', null, 'timeout', true, 'Connection timed out', 'Retry; raise the client timeout', { source: 'node' }],
  ['UND_ERR_CONNECT_TIMEOUT', null, 'timeout', true, 'Connect timeout', 'Retry', { source: 'undici' }],
  ['UND_ERR_HEADERS_TIMEOUT', null, 'timeout', true, 'Headers timeout', 'Retry', { source: 'undici' }],
  ['UND_ERR_SOCKET', null, 'network', true, 'Socket error', 'Retry', { source: 'undici' }],
  ['error', 200, 'server_error', true, 'Stream stopped with an error', 'Retry', { source: 'generic' }],
];

// The providers of the field beyond the seeds: their public error references, and the corpus threads in
// test/fixtures/real-world where users paste them. OpenAI-compatible APIs fall back on OpenAI's rows
// (providers.ts PARENT), so only what differs is listed.
const DEEPSEEK: Row[] = [
  [400, 400, 'invalid_request', false, 'Invalid format', 'Fix the request body as the error message says'],
  [
    400,
    400,
    'content_policy',
    false,
    'Content Exists Risk',
    'Review the prompt',
    { match: 'content exists risk|risk' },
  ],
  [401, 401, 'auth', false, 'Authentication fails', 'Check the API key'],
  [402, 402, 'quota', false, 'Insufficient Balance', 'Top up the account balance'],
  [422, 422, 'invalid_request', false, 'Invalid parameters', 'Fix the parameters as the error message says'],
  [429, 429, 'rate_limit', true, 'Rate limit reached', 'Pace requests'],
  [500, 500, 'server_error', true, 'Server error', 'Retry after a brief wait'],
  [503, 503, 'overload', true, 'Server overloaded', 'Retry after a brief wait'],
];

const MOONSHOT: Row[] = [
  ['invalid_authentication_error', 401, 'auth', false, 'Invalid authentication', 'Check the API key'],
  ['exceeded_current_quota_error', 429, 'quota', false, 'Account quota exceeded', 'Recharge the account'],
  ['rate_limit_reached_error', 429, 'rate_limit', true, 'Rate limit reached (RPM/TPM/concurrency)', 'Pace requests'],
  ['engine_overloaded_error', 429, 'overload', true, 'Engine overloaded', 'Retry with backoff'],
  ['permission_denied_error', 403, 'permission', false, 'Permission denied', 'Check the key and model access'],
  ['resource_not_found_error', 404, 'not_found', false, 'Resource not found', 'Check the model and the path'],
  ['access_terminated_error', 403, 'account', false, 'Access terminated', 'Contact support'],
  ['content_filter', 400, 'content_policy', false, 'Content filtered', 'Review the prompt'],
  ['server_error', 500, 'server_error', true, 'Server error', 'Retry after a brief wait'],
];

const DASHSCOPE: Row[] = [
  ['InvalidApiKey', 401, 'auth', false, 'Invalid API key', 'Check the API key'],
  ['Arrearage', 400, 'quota', false, 'Account in arrears', 'Recharge the Alibaba Cloud account'],
  [
    'AllocationQuota.FreeTierOnly',
    403,
    'quota',
    false,
    'Free quota used up (free tier only)',
    'Pay, or turn off free-tier-only',
  ],
  ['AccessDenied', 403, 'permission', false, 'Access denied', 'Check the key and the model access'],
  ['AccessDenied.Unpurchased', 403, 'permission', false, 'Model not purchased', 'Activate the model'],
  ['Throttling', 429, 'rate_limit', true, 'Requests throttled', 'Pace requests'],
  ['Throttling.RateQuota', 429, 'rate_limit', true, 'Request rate limit exceeded', 'Pace requests'],
  ['Throttling.BurstRate', 429, 'rate_limit', true, 'Burst rate limit exceeded', 'Smooth the request rate'],
  ['Throttling.AllocationQuota', 429, 'rate_limit', true, 'Token allocation (per minute) exceeded', 'Pace requests'],
  ['DataInspectionFailed', 400, 'content_policy', false, 'Content inspection failed', 'Review the input'],
  ['data_inspection_failed', 400, 'content_policy', false, 'Content inspection failed', 'Review the input'],
  [
    'InternalError.Algo.DataInspectionFailed',
    400,
    'content_policy',
    false,
    'Content inspection failed',
    'Review the input',
  ],
  ['ModelNotFound', 404, 'not_found', false, 'Model not found', 'Check the model name'],
  ['model_not_found', 404, 'not_found', false, 'Model not found', 'Check the model name'],
  ['RequestTimeOut', 500, 'timeout', true, 'Request timed out', 'Retry; use streaming for long outputs'],
  ['ServiceUnavailable', 503, 'overload', true, 'Service unavailable', 'Retry with backoff'],
  ['InternalError', 500, 'server_error', true, 'Internal error', 'Retry after a brief wait'],
];

const OPENROUTER: Row[] = [
  [401, 401, 'auth', false, 'Invalid credentials', 'Check the API key'],
  [402, 402, 'quota', false, 'Insufficient credits', 'Add credits'],
  [
    403,
    403,
    'content_policy',
    false,
    'Input flagged by moderation',
    'Review the input',
    { match: 'moderation|flagged' },
  ],
  [408, 408, 'timeout', true, 'Request timed out', 'Retry'],
  [429, 429, 'rate_limit', true, 'Rate limited', 'Pace requests'],
  [502, 502, 'server_error', true, 'Model down or invalid response', 'Retry or pick another provider'],
  [503, 503, 'overload', true, 'No available model provider', 'Retry later or relax the routing'],
];

const MISTRAL: Row[] = [['1300', 429, 'rate_limit', true, 'Rate limit exceeded', 'Pace requests']];

const GROQ: Row[] = [
  ['model_decommissioned', 400, 'not_found', false, 'Model decommissioned', 'Use a current model'],
  [
    'json_validate_failed',
    400,
    'invalid_request',
    false,
    'JSON mode output failed validation',
    'Fix the prompt or schema',
  ],
];

const AZURE: Row[] = [
  ['content_filter', 400, 'content_policy', false, 'Blocked by the content filter', 'Review the prompt'],
  ['DeploymentNotFound', 404, 'not_found', false, 'Deployment not found', 'Check the deployment name'],
  [
    'OperationNotSupported',
    400,
    'invalid_request',
    false,
    'Operation not supported by the model',
    'Use a supported model',
  ],
];

// Google's ErrorInfo reasons (details[].reason), finer than the status word beside them.
const GEMINI_REASONS: Row[] = [
  ['API_KEY_INVALID', 400, 'auth', false, 'API key not valid', 'Pass a valid API key'],
  [
    'API_KEY_SERVICE_BLOCKED',
    403,
    'permission',
    false,
    'API key may not call this service',
    'Lift the key restriction',
  ],
  ['SERVICE_DISABLED', 403, 'permission', false, 'API not enabled on the project', 'Enable the API'],
  ['IAM_PERMISSION_DENIED', 403, 'permission', false, 'IAM permission denied', 'Grant the role'],
  ['CONSUMER_SUSPENDED', 403, 'account', false, 'Consumer suspended', 'Contact Google Cloud support'],
  ['RATE_LIMIT_EXCEEDED', 429, 'rate_limit', true, 'Rate limit exceeded', 'Pace requests'],
  ['BILLING_DISABLED', 403, 'quota', false, 'Billing disabled', 'Enable billing on the project'],
];

export const TAXONOMY: readonly TaxonomyEntry[] = Object.freeze([
  ...rows(ZHIPU_FAMILY, 'seed:000/001/002', ZHIPU_HTTP),
  ...rows(ZHIPU_FAMILY, 'seed:001', ZHIPU_CODES),
  ...rows(['new-api'], 'seed:003', NEW_API),
  ...rows(['openai'], 'openai', OPENAI),
  ...rows(['anthropic'], 'anthropic', ANTHROPIC),
  ...rows(['gemini'], 'gemini', GEMINI),
  ...rows(['gemini'], 'gemini:ErrorInfo', GEMINI_REASONS),
  ...rows(['deepseek'], 'deepseek:error-codes', DEEPSEEK),
  ...rows(['moonshot'], 'moonshot:error-codes', MOONSHOT),
  ...rows(['dashscope'], 'dashscope:error-code', DASHSCOPE),
  ...rows(['openrouter'], 'openrouter:errors', OPENROUTER),
  ...rows(['mistral'], 'corpus:western-0069', MISTRAL),
  ...rows(['groq'], 'groq:errors', GROQ),
  ...rows(['azure'], 'azure-openai:errors', AZURE),
  ...rows([GENERIC], 'seed:004', HTTP_GENERIC),
]);

/**
 * The codes of the rows flagged `quota_wall`, in order: the default of the quota-wall routes and of
 * /metrics' wall gauges. Dashboards, alert rules and docs cannot import it: a test compares their lists.
 */
export const QUOTA_WALL_CODES: readonly string[] = Object.freeze(
  [...new Set(TAXONOMY.filter((e) => e.quota_wall).map((e) => e.code))].sort(),
);

/** Every provider name the taxonomy knows (besides `*`). */
export const PROVIDERS = [
  'zhipu',
  'zai',
  'new-api',
  'openai',
  'anthropic',
  'gemini',
  'deepseek',
  'moonshot',
  'dashscope',
  'openrouter',
  'mistral',
  'groq',
  'xai',
  'azure',
] as const;
