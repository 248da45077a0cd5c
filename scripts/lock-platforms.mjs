#!/usr/bin/env node
// Completes package-lock.json with the other platforms' optional binary packages (biome, chDB).
//
// npm on our machines records only the platforms our registry serves in the lockfile, and `npm ci`
// then refuses it ("Missing: @biomejs/cli-darwin-arm64@ from lock file", npm/cli#4828 and #8320).
// This adds, for each optional dependency the lockfile lacks, an entry like the ones npm writes:
// version, os, cpu, libc (read from the package's name, the convention these packages follow) and
// the fields of its installed sibling (dev, license, engines). There is no integrity hash (our
// registry does not serve those platforms), so npm fetches them unverified on such a machine.
// Run `node scripts/lock-platforms.mjs` after every `npm install` that changes dependencies;
// `.ci/run` checks that nothing is missing.
import { readFileSync, writeFileSync } from 'node:fs';

const OS = ['android', 'darwin', 'linux', 'win32', 'freebsd'];
const CPU = ['arm64', 'x64', 'ia32', 'arm'];

/** `@biomejs/cli-linux-x64-musl` -> { os: linux, cpu: x64, libc: musl } */
export function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => OS.includes(p));
  const cpu = parts.find((p) => CPU.includes(p));
  if (!os || !cpu) return null;
  const libc = parts.includes('musl') ? 'musl' : os === 'linux' ? 'glibc' : null;
  return { os, cpu, libc };
}

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const pkgs = lock.packages;
const check = process.argv.includes('--check');
const missing = [];
for (const [where, meta] of Object.entries(pkgs)) {
  const optional = Object.entries(meta.optionalDependencies ?? {});
  const sibling = optional.map(([n]) => pkgs[`node_modules/${n}`]).find(Boolean);
  for (const [name, version] of optional) {
    if (pkgs[`${where ? `${where}/` : ''}node_modules/${name}`] || pkgs[`node_modules/${name}`]) continue;
    const platform = platformOf(name);
    if (!platform || !sibling || !/^\d+\.\d+\.\d+/.test(version)) {
      throw new Error(`cannot complete ${name}@${version} (optional dependency of ${where}): add it by hand`);
    }
    const entry = { version };
    if (sibling.dev) entry.dev = true;
    if (sibling.license) entry.license = sibling.license;
    entry.optional = true;
    entry.os = [platform.os];
    entry.cpu = [platform.cpu];
    if (platform.libc) entry.libc = [platform.libc];
    if (sibling.engines) entry.engines = sibling.engines;
    missing.push([`node_modules/${name}`, entry]);
  }
}
if (check) {
  if (missing.length > 0) {
    process.stderr.write(
      `package-lock.json lacks ${missing.map(([k]) => k).join(', ')}: run node scripts/lock-platforms.mjs\n`,
    );
    process.exit(1);
  }
  process.exit(0);
}
for (const [key, entry] of missing) pkgs[key] = entry;
const sorted = Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0));
lock.packages = Object.fromEntries(sorted);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(`${missing.length} platform packages added to package-lock.json\n`);
