import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// ARCHITECTURE.md, "Layout, and what may import what", checked on every relative import (static and dynamic).
const root = fileURLToPath(new URL('../../', import.meta.url));

function tsFiles(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(root, path)).isDirectory() ? tsFiles(path) : name.endsWith('.ts') ? [path] : [];
  });
}

/** The repository-relative targets of a file's relative imports. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*)'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]);
  return specs.map((s) => relative(root, resolve(root, dirname(file), s)).replaceAll('\\', '/'));
}

function violations(files: string[], forbidden: (target: string) => boolean): string[] {
  return files.flatMap((f) => importsOf(f).filter(forbidden).map((t) => `${f} -> ${t}`));
}

test('agents/ never imports envs/, sim/, src/bridge or src/cli', () => {
  const bad = violations(tsFiles('agents'), (t) => /^(envs|sim)\//.test(t) || /^src\/(bridge|cli)\//.test(t));
  assert.deepEqual(bad, []);
});

test('in src/, only index.ts, browser.ts and cli/ import envs/, agents/ or sim/', () => {
  const files = tsFiles('src').filter((f) => !/^src\/(index|browser)\.ts$/.test(f) && !f.startsWith('src/cli/'));
  assert.deepEqual(violations(files, (t) => /^(envs|agents|sim)\//.test(t)), []);
});

test('sim/ knows nothing about tasks or learning (no envs/, agents/)', () => {
  assert.deepEqual(violations(tsFiles('sim'), (t) => /^(envs|agents)\//.test(t)), []);
});

test('src/core imports only src/core', () => {
  assert.deepEqual(violations(tsFiles('src/core'), (t) => !t.startsWith('src/core/')), []);
});
