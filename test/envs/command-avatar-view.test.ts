import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import '../../envs/index.js';
import { startView, expertFactory } from '../../src/cli/commands/view.js';
import { decodeViewerFrame } from '../../sim/viewer/page/viewer-protocol.js';
import { viewerHtml } from '../../sim/viewer/viewer-html.js';
import { COMMAND_ACTIONS, phrasings } from '../../envs/command/phrasings.js';

test('lamkit view CommandAvatar-v0 --policy expert: the HUD gets each instruction as it changes, and the expert earns reward 1 a step', { timeout: 60_000 }, async () => {
  const view = await startView({ envId: 'CommandAvatar-v0', port: 0, seed: 2, stepsPerSecond: 200, policy: await expertFactory('CommandAvatar-v0'), policyLabel: 'expert' });
  try {
    const ws = new WebSocket(view.url.replace('http', 'ws') + 'ws');
    const instructions: string[] = [];
    const rewards: number[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('error', reject);
      ws.on('message', (data, isBinary) => {
        if (!isBinary) {
          const msg = JSON.parse(data.toString()) as { type: string; text?: string };
          if (msg.type === 'instruction') instructions.push(msg.text as string);
          return;
        }
        const buf = data as Buffer;
        const { header } = decodeViewerFrame(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
        if (header.step > 0) rewards.push(header.reward);
        if (rewards.length >= 12) resolve();
      });
    });
    ws.close();
    const seen = new Set(COMMAND_ACTIONS.flatMap((a) => phrasings(a, 'seen')));
    assert.ok(instructions.length >= 2, `${instructions.length} instructions`);
    for (const s of instructions) assert.ok(seen.has(s), s);
    assert.deepEqual(rewards.slice(0, 12), new Array(12).fill(1));
  } finally {
    await view.close();
  }
  assert.match(viewerHtml('x'), /data-k="instruction"/);
});
