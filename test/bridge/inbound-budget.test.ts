import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { InboundBudget } from '../../src/bridge/inbound-budget.js';

const spin = (ms: number): void => {
  const t0 = performance.now();
  while (performance.now() - t0 < ms);
};

test("meterReception charges the event loop's time receiving a connection's bytes, without the handling already charged", () => {
  const limits = { maxMessagesPerSecond: 5000, maxBytesPerSecond: 16 << 20, maxProcessingMsPerSecond: 200, maxMessageBytes: 262144 };
  // One event: ws receives a socket chunk (here 3 ms of work), then hands over the message it completed (2 ms of handling).
  const measure = () => {
    const socket = Object.assign(new EventEmitter(), { pause() {}, resume() {} });
    const budget = new InboundBudget(socket, limits, () => spin(2), () => assert.fail('no overflow'));
    socket.on('data', () => {
      spin(3);
      assert.ok(budget.offer(Buffer.alloc(100), true, performance.now()));
    });
    budget.meterReception(socket); // after ws's listener, as the server does
    const t0 = performance.now();
    socket.emit('data', Buffer.alloc(100));
    const eventMs = performance.now() - t0;
    const handledMs = budget.processingMs - budget.receptionMs;
    assert.ok(budget.receptionMs >= 3, `reception ${budget.receptionMs} ms`);
    assert.ok(handledMs >= 2, `handling ${handledMs} ms`);
    // Together they are the whole event, nothing counted twice (both measured inside it): this holds on every try.
    assert.ok(budget.processingMs <= eventMs + 0.01, `${budget.processingMs} ms charged for an event of ${eventMs} ms`);
    budget.dispose();
    socket.emit('data', Buffer.alloc(100)); // after dispose: nothing more is charged
    assert.equal(budget.processingMs, handledMs + budget.receptionMs);
    return { charged: budget.processingMs, eventMs };
  };
  // And nearly all of it is charged: the gaps are the few statements outside both clocks, plus any time the thread was
  // descheduled there. On a loaded 2-core CI machine one event lost 1.3 of 7.5 ms that way, so the best of five tries
  // must reach 90%; leaving reception or handling uncharged loses 40-60% on every try.
  const tries = Array.from({ length: 5 }, measure);
  const best = Math.max(...tries.map((t) => t.charged / t.eventMs));
  assert.ok(best >= 0.9, `charged/event per try: ${tries.map((t) => `${t.charged.toFixed(2)}/${t.eventMs.toFixed(2)}`).join(', ')}`);
});
