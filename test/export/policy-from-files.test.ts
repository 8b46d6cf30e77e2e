import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Rng } from '../../src/core/rng.js';
import { loadPolicy } from '../../agents/checkpoint/load-policy.js';
import { policyFromCheckpointFiles } from '../../src/cli/in-browser/policy-from-files.js';
import { FileFormatError } from '../../src/core/errors.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

for (const [kind, dir] of [['mlp', fixture('imitation/cartpole-ppo')], ['transformer', fixture('export/cartpole-transformer')]] as const) {
  test(`the in-browser page's policy loader acts exactly as loadPolicy on a ${kind} checkpoint (history across steps, reset)`, async () => {
    const json = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
    const page = policyFromCheckpointFiles(json, new Uint8Array(readFileSync(join(dir, 'policy.bin'))), 0);
    const node = await loadPolicy(dir);
    try {
      assert.equal(page.kind, kind);
      const rng = new Rng(4);
      for (let t = 0; t < 40; t++) {
        if (t === 25) {
          page.resetEpisode?.(0);
          node.resetEpisode?.(0);
        }
        const obs = rng.fillNormal(new Float32Array(4)) as Float32Array;
        assert.deepEqual(Array.from(page.act(obs, { deterministic: true }) as Int32Array), Array.from(node.act(obs, { deterministic: true }) as Int32Array), `step ${t}`);
      }
    } finally {
      node.dispose?.();
    }
  });
}

test("the page's policy loader refuses a kind without a plain-JS forward, naming the field", () => {
  const json = JSON.parse(readFileSync(join(fixture('imitation/cartpole-ppo'), 'checkpoint.json'), 'utf8'));
  json.policy.kind = 'window-mlp';
  assert.throws(() => policyFromCheckpointFiles(json, new Uint8Array(readFileSync(join(fixture('imitation/cartpole-ppo'), 'policy.bin'))), 0), (err: Error) => err instanceof FileFormatError && err.message.includes('policy.kind') && err.message.includes('lamkit export'));
});
