/**
 * Rollout inference: the plain-JS forward pass (JsActorCritic, weights copied
 * after each update) against a batched tfjs forward pass (one upload, both
 * trunks, one download), for a 64x64 tanh actor-critic on CartPole-sized
 * (4) and MuJoCo-sized (11) observations, per vector-env step.
 *
 *   node --import tsx bench/ppo-inference.ts
 *
 * Writes bench/results/ppo-inference.json.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { initBackend } from '../agents/backend.js';
import { MlpActorCritic } from '../agents/policies/mlp-actor-critic.js';
import { JsActorCritic } from '../agents/policies/js-actor-critic.js';
import { Rng } from '../src/core/rng.js';

const backend = await initBackend({ report: null });
const rows: Array<Record<string, number | string>> = [];
for (const obsDim of [4, 11]) {
  const net = MlpActorCritic.create({ obsDim, hidden: [64, 64], activation: 'tanh', head: { kind: 'categorical', nvec: [2] } }, new Rng(0), { logStdInit: 0 });
  const js = new JsActorCritic(net.spec, net.readParams());
  for (const batch of [1, 8, 64]) {
    const obs = new Rng(1).fillNormal(new Float32Array(batch * obsDim)) as Float32Array;
    const out = new Float64Array(batch * js.outDim);
    let sink = 0;
    const jsStep = (): void => {
      for (let i = 0; i < batch; i++) {
        js.actorRow(obs, i * obsDim, out, i * js.outDim);
        sink += js.valueRow(obs, i * obsDim);
      }
    };
    const tfStep = (): void => {
      const x = tf.tensor2d(obs, [batch, obsDim]);
      const { actorOut, value } = net.forward(x);
      sink += (actorOut.dataSync()[0] as number) + (value.dataSync()[0] as number);
      tf.dispose([x, actorOut, value]);
    };
    const time = (f: () => void): number => {
      for (let i = 0; i < 200; i++) f();
      let best = Infinity;
      for (let rep = 0; rep < 3; rep++) {
        const n = 2000;
        const t0 = performance.now();
        for (let i = 0; i < n; i++) f();
        best = Math.min(best, ((performance.now() - t0) / n) * 1000);
      }
      return best;
    };
    const jsUs = time(jsStep);
    const tfUs = time(tfStep);
    rows.push({ obsDim, batch, jsUs, tfUs, tfOverJs: tfUs / jsUs });
    console.log(`obs ${obsDim}, batch ${batch}: plain JS ${jsUs.toFixed(1)} us/step, tfjs ${backend.name} batched ${tfUs.toFixed(1)} us/step (${(tfUs / jsUs).toFixed(1)}x the JS cost) ${sink === 0.5 ? '' : ''}`);
  }
  net.dispose();
}
console.log(`load average ${loadavg()[0].toFixed(1)}`);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/ppo-inference.json', JSON.stringify({ backend: backend.name, loadAvg1m: loadavg()[0], rows }, null, 2));
