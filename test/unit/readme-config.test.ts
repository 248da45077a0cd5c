import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, parseConfig } from '../../services/config.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README configuration reference', () => {
  it('documents every variable of the configuration schema', () => {
    expect(CONFIG_KEYS.filter((k) => !readme.includes(`\`${k}\``))).toEqual([]);
  });

  it('names the offending variable when a value is invalid', () => {
    expect(() => parseConfig({ PORT: 'eighty', CLICKHOUSE_DATABASE: 'bad-name' })).toThrow(
      /PORT[\s\S]*CLICKHOUSE_DATABASE|CLICKHOUSE_DATABASE[\s\S]*PORT/,
    );
  });
});
