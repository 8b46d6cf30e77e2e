import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

test("README's Core API example runs and prints what its comments say", () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Core API'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(match, 'README has a ```ts block under ## Core API');
  const entry = pathToFileURL(join(root, 'src/index.ts')).href;
  // A file in a temp dir cannot resolve the package by name: point it at the sources.
  const code = match[1].replace("from 'lamkit'", `from '${entry}'`);
  assert.notEqual(code, match[1], "the example imports from 'lamkit'");
  const dir = mkdtempSync(join(tmpdir(), 'lamkit-readme-'));
  try {
    const file = join(dir, 'quickstart.ts');
    writeFileSync(file, code);
    const out = execFileSync(process.execPath, ['--import', 'tsx', file], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    const lines = out.trim().split('\n');
    assert.equal(lines[0], 'Box([-4.8 -inf -0.41887903 -inf], [4.8 inf 0.41887903 inf], (4,), float32)');
    assert.equal(lines[1], 'Discrete(2)');
    assert.match(lines[2], /^random-policy return: \d+$/);
    assert.equal(lines[3], 'false element 1 = -2 is outside [-1.0, 1.0]');
    assert.match(out, /l: 200/);
    assert.equal(lines.at(-1), 'checkEnv: ok');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
