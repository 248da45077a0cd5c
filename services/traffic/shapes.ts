// The providers' own endpoints and error bodies, written once for every generator in this module: what
// Zhipu, Z.AI, OpenAI, Anthropic and Gemini really answer (wordings, shapes, reset-time formats).
// Each function builds a fresh object, so callers may spread or mutate what they get.
import type { Envelope } from '../core/types.js';

const HOUR = 3_600_000;

export const ENDPOINTS = {
  zhipu: 'https://open.bigmodel.cn/api/paas/v4/chat/completions',
  /** Z.AI's Anthropic-compatible endpoint: its errors come in Anthropic's shape with Zhipu's codes. */
  zai: 'https://api.z.ai/api/anthropic/v1/messages',
  openai: 'https://api.openai.com/v1/chat/completions',
  anthropic: 'https://api.anthropic.com/v1/messages',
  gemini: 'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash',
  newApi: 'https://gateway.example.internal/v1/chat/completions',
} as const;

/** Zhipu/Z.AI write reset times in China Standard Time without a zone. */
export function formatCst(ms: number): string {
  return new Date(ms + 8 * HOUR).toISOString().slice(0, 19).replace('T', ' ');
}

type Shape = Pick<Envelope, 'status' | 'body'>;

/** 1310 "Weekly/Monthly Limit Exhausted", Z.AI's Anthropic-shaped body with the bracketed message. */
export function weeklyLimit(resetMs: number, requestId: string): Shape {
  return {
    status: 429,
    body: {
      type: 'error',
      error: {
        type: 'rate_limit_error',
        code: '1310',
        message: `[1310][Weekly/Monthly Limit Exhausted. Your limit will reset at ${formatCst(resetMs)}][${requestId}]`,
      },
    },
  };
}

/** 1308 usage limit (5-hour window), in English or in Chinese. */
export function usageLimit(resetMs: number, chinese = false): Shape {
  const reset = formatCst(resetMs);
  const message = chinese
    ? `已达到 5 小时的使用上限。您的限额将在 ${reset} 重置。`
    : `Usage limit reached for 5 hour. Your limit will reset at ${reset}`;
  return { status: 429, body: { error: { code: '1308', message } } };
}

/** 1113 arrears: no reset time, the account must be topped up. */
export function arrears(): Shape {
  return { status: 429, body: { error: { code: '1113', message: '余额不足或无可用资源包,请充值。' } } };
}

/** 1302 concurrency limit. */
export function concurrencyLimit(): Shape {
  return {
    status: 429,
    body: {
      error: {
        code: '1302',
        message:
          'High concurrency usage of this API, please reduce concurrency or contact customer service to increase limits',
      },
    },
  };
}

/** Zhipu's 500. */
export function zhipuInternalError(): Shape {
  return { status: 500, body: { error: { code: '500', message: 'Internal Error' } } };
}

/** OpenAI's RPM limit as the Python SDK logs it: a text with a Python dict repr. */
export function openaiRpmLimit(model: string): Shape {
  return {
    status: 429,
    body: `Error code: 429 - {'error': {'message': 'Rate limit reached for ${model} on requests per min (RPM): Limit 500, Used 500, Requested 1.', 'type': 'requests', 'param': None, 'code': 'rate_limit_exceeded'}}`,
  };
}

export function anthropicOverloaded(): Shape {
  return { status: 529, body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } };
}

export function geminiExhausted(): Shape {
  return {
    status: 429,
    body: {
      error: {
        code: 429,
        message: 'Resource has been exhausted (e.g. check quota).',
        status: 'RESOURCE_EXHAUSTED',
      },
    },
  };
}
