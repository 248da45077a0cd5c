// Who answered: provider names, their aliases, the hosts that identify them, and which code table an
// OpenAI-compatible API borrows. Data only. Attribution goes by host before body shape: an Anthropic-shaped
// body from another host is not Anthropic's code table.

/** Names people write in the `provider` field -> the name errorscope stores. */
export const PROVIDER_ALIASES: Readonly<Record<string, string>> = {
  zhipu: 'zhipu',
  zhipuai: 'zhipu',
  bigmodel: 'zhipu',
  glm: 'zhipu',
  zai: 'zai',
  'z.ai': 'zai',
  'z-ai': 'zai',
  'new-api': 'new-api',
  newapi: 'new-api',
  new_api: 'new-api',
  'one-api': 'new-api',
  oneapi: 'new-api',
  one_api: 'new-api',
  openai: 'openai',
  'azure-openai': 'azure',
  azure_openai: 'azure',
  azureopenai: 'azure',
  azure: 'azure',
  anthropic: 'anthropic',
  claude: 'anthropic',
  gemini: 'gemini',
  google: 'gemini',
  'google-ai': 'gemini',
  vertex: 'gemini',
  vertexai: 'gemini',
  vertex_ai: 'gemini',
  deepseek: 'deepseek',
  qwen: 'dashscope',
  dashscope: 'dashscope',
  aliyun: 'dashscope',
  tongyi: 'dashscope',
  bailian: 'dashscope',
  moonshot: 'moonshot',
  kimi: 'moonshot',
  openrouter: 'openrouter',
  groq: 'groq',
  mistral: 'mistral',
  mistralai: 'mistral',
  xai: 'xai',
  'x.ai': 'xai',
  grok: 'xai',
};

/** Host suffix -> provider. The first matching suffix wins. */
export const HOST_SUFFIXES: ReadonlyArray<readonly [string, string]> = [
  ['bigmodel.cn', 'zhipu'],
  ['z.ai', 'zai'],
  ['openai.azure.com', 'azure'],
  ['cognitiveservices.azure.com', 'azure'],
  ['services.ai.azure.com', 'azure'],
  ['openai.com', 'openai'],
  ['anthropic.com', 'anthropic'],
  ['generativelanguage.googleapis.com', 'gemini'],
  ['aiplatform.googleapis.com', 'gemini'],
  ['deepseek.com', 'deepseek'],
  ['dashscope.aliyuncs.com', 'dashscope'],
  ['dashscope-intl.aliyuncs.com', 'dashscope'],
  ['moonshot.cn', 'moonshot'],
  ['moonshot.ai', 'moonshot'],
  ['openrouter.ai', 'openrouter'],
  ['groq.com', 'groq'],
  ['mistral.ai', 'mistral'],
  ['x.ai', 'xai'],
];

/**
 * OpenAI-compatible APIs answer with OpenAI's code strings (`invalid_request_error`, `rate_limit_exceeded`):
 * their own rows first, then the parent's. Z.AI and Zhipu share one code space.
 */
export const PARENT: Readonly<Record<string, string>> = {
  zai: 'zhipu',
  azure: 'openai',
  deepseek: 'openai',
  dashscope: 'openai',
  moonshot: 'openai',
  openrouter: 'openai',
  groq: 'openai',
  mistral: 'openai',
  xai: 'openai',
};
