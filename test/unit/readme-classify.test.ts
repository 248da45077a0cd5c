// The README's classify example is real: its input line, run through `errorscope classify`, gives its
// output block.
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { expect, it } from 'vitest';
import { main } from '../../services/cli/main.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

it('the README classify example is what classify prints', async () => {
  const section = readme.slice(readme.indexOf('## Classifying: what a call becomes'));
  const input = /echo '(\{.*\})' \\\n {2}\| npx errorscope classify/.exec(section)?.[1];
  const output = /```json\n(.*)\n```/.exec(section)?.[1];
  expect(input, 'the example input line').toBeDefined();
  expect(output, 'the example output line').toBeDefined();
  expect(JSON.parse(input as string).url).toContain('open.bigmodel.cn');

  const stdin = new PassThrough();
  stdin.end(`${input}\n`);
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (c) => {
    out += c;
  });
  const code = await main(['classify'], { stdin, stdout, stderr: new PassThrough(), env: {} });
  expect(code).toBe(0);
  expect(out.trim()).toBe(output);
  expect(JSON.parse(out).provider).toBe('zhipu');
});
