import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const script: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).scripts.test;

test('npm test bounds every test and file (--test-timeout) and exits when a test leaves a handle open (--test-force-exit)', { timeout: 60_000 }, async () => {
  const flags = script.match(/--test-(timeout=\d+|force-exit)/g) ?? [];
  assert.ok(flags.some((f) => f.startsWith('--test-timeout=')), `no --test-timeout in: ${script}`);
  // Node 20 applies --test-timeout to each test and to each file as a whole: it must exceed the longest
  // file (the packed-tarball install, ~6 min on 2 loaded cores) and still end a hung test in bounded time.
  const timeoutMs = Number(/--test-timeout=(\d+)/.exec(script)?.[1]);
  assert.ok(timeoutMs >= 10 * 60_000 && timeoutMs <= 15 * 60_000, `--test-timeout=${timeoutMs}: between 10 and 15 minutes`);
  // The runner with npm test's flags on a passing file that leaks a listening server: it must end on its own.
  // Without NODE_TEST_CONTEXT, which marks this file's own process as a child of the runner.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const child = spawn(process.execPath, ['--test', '--test-reporter=tap', ...flags, 'test/package/fixtures/leaky.fixture.mjs'], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += String(d)));
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
    assert.equal(signal, null, `the runner hung on the leaked server and was killed after 30 s\n${out}`);
    assert.equal(code, 0, out);
    assert.match(out, /# pass 1/);
  } finally {
    clearTimeout(killer);
    child.kill('SIGKILL');
  }
});
