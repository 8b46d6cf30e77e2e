import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onInterrupt, yieldToEventLoop, INTERRUPTED_EXIT_CODE } from '../../src/cli/interrupt.js';

test('the first Ctrl-C asks to stop and says how to resume; the second exits at once; dispose removes the handlers', () => {
  const lines: string[] = [];
  const exits: number[] = [];
  const before = process.listenerCount('SIGINT');
  const interrupt = onInterrupt({ command: 'lamkit x', stopping: 'stopping after this update', resumeHint: () => 'lamkit x --resume runs/a', write: (t) => lines.push(t), exit: (c) => exits.push(c) });
  try {
    assert.equal(process.listenerCount('SIGINT'), before + 1);
    assert.equal(interrupt.requested, false);
    assert.equal(interrupt.signal.aborted, false);
    process.emit('SIGINT', 'SIGINT');
    assert.equal(interrupt.requested, true);
    assert.equal(interrupt.signal.aborted, true);
    assert.deepEqual(exits, []);
    assert.equal(lines.join(''), '\nlamkit x: Ctrl-C: stopping after this update (Ctrl-C again to exit at once); continue later with: lamkit x --resume runs/a\n');
    process.emit('SIGINT', 'SIGINT');
    assert.deepEqual(exits, [INTERRUPTED_EXIT_CODE]);
    assert.equal(lines[1], '\nlamkit x: exiting at once; nothing more is saved; continue from the last saved state with: lamkit x --resume runs/a\n');
  } finally {
    interrupt.dispose();
    interrupt.dispose();
  }
  assert.equal(process.listenerCount('SIGINT'), before);
});

test('SIGTERM stops the same way; no hint, no hint text', () => {
  const lines: string[] = [];
  const interrupt = onInterrupt({ command: 'lamkit y', stopping: 'stopping', write: (t) => lines.push(t), exit: () => {} });
  try {
    process.emit('SIGTERM', 'SIGTERM');
    assert.equal(interrupt.requested, true);
    assert.equal(lines[0], '\nlamkit y: SIGTERM: stopping (Ctrl-C again to exit at once)\n');
  } finally {
    interrupt.dispose();
  }
});

test('yieldToEventLoop lets a due timer run inside a synchronous loop', async () => {
  let fired = false;
  const timer = setTimeout(() => (fired = true), 0);
  try {
    const start = Date.now();
    while (Date.now() - start < 5) {
      /* synchronous work */
    }
    assert.equal(fired, false);
    await yieldToEventLoop();
    await yieldToEventLoop();
    assert.equal(fired, true);
  } finally {
    clearTimeout(timer);
  }
});
