// Integration-test setup (the `int` vitest project): finds or starts the real Kafka broker once per
// run and hands its address to the test files through `provide('kafkaBrokers')`.
// KAFKA_BROKERS points the tests at another cluster. Without Java the Kafka tests are skipped with a
// loud message, except in CI (CI=true), where a missing broker fails the run.
import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Bootstrap brokers of the real Kafka cluster, or [] when the Kafka tests must be skipped. */
    kafkaBrokers: string[];
  }
}

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

async function hasJava(): Promise<boolean> {
  try {
    await run('java', ['-version']);
    return true;
  } catch {
    return false;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const inCi = process.env.CI === 'true' || process.env.CI === '1';
  const external = process.env.KAFKA_BROKERS?.trim();
  if (external) {
    project.provide(
      'kafkaBrokers',
      external
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    );
    return;
  }
  if (!(await hasJava())) {
    const msg =
      'Java is not installed: the Kafka integration tests cannot start a broker (set KAFKA_BROKERS or install a JDK 17+)';
    if (inCi) throw new Error(`${msg}; they are required in CI`);
    process.stderr.write(`\n${'!'.repeat(100)}\n!!! SKIPPING KAFKA TESTS: ${msg}\n${'!'.repeat(100)}\n\n`);
    project.provide('kafkaBrokers', []);
    return;
  }
  const port = process.env.KAFKA_PORT ?? '9092';
  try {
    const { stderr } = await run(resolve(root, 'scripts/kafka.sh'), ['start'], { timeout: 300_000 });
    process.stderr.write(stderr);
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`scripts/kafka.sh start failed: ${e.stderr || e.message}`);
  }
  project.provide('kafkaBrokers', [`127.0.0.1:${port}`]);
}
