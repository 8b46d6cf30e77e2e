// How does exploration noise change what a policy achieves? (issue 13, column (e): PPO fine-tuning of the (b)
// ArmPush-v0 checkpoint needs noise that makes the members of a group of episodes from one start disagree on
// success without flinging the puck.)
//
//   npm run bench:action-noise -- --checkpoint <dir> [--env ArmPush-v0] [--std 0,0.03] [--alpha 0,0.9]
//        [--starts 32] [--group 4] [--seed 50000]
//
// For every (std, alpha): `--starts` start states (reset seeds --seed + g), `--group` episodes from each, each
// step's action = the policy's deterministic action + e_t, clipped to the action box, where
// e_t = alpha e_{t-1} + std sqrt(1 - alpha^2) z_t, z_t ~ N(0, I), e_0 = 0: white noise at alpha 0, and an AR(1)
// (Ornstein-Uhlenbeck-like) process of the same marginal std otherwise. Prints the success rate (info.isSuccess
// at each episode's end) and the share of groups whose members disagree on success (the groups that carry a
// learning signal for PPO's group-relative advantages, `groupSize`).
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import * as lib from '../src/index.js';
import { Rng } from '../src/core/rng.js';

const { values } = parseArgs({
  options: {
    checkpoint: { type: 'string' },
    env: { type: 'string', default: 'ArmPush-v0' },
    std: { type: 'string', default: '0,0.03' },
    alpha: { type: 'string', default: '0,0.9' },
    starts: { type: 'string', default: '32' },
    group: { type: 'string', default: '4' },
    seed: { type: 'string', default: '50000' },
  },
});

function numbers(flag: string, text: string, ok: (x: number) => boolean, expected: string, example: string): number[] {
  const xs = text.split(',').map((s) => Number(s.trim()));
  if (xs.length === 0 || !xs.every((x) => Number.isFinite(x) && ok(x))) {
    throw new lib.InvalidArgument(lib.formatError(`bench:action-noise --${flag}`, expected, lib.describeValue(text), `Pass e.g. --${flag} ${example}`));
  }
  return xs;
}
if (values.checkpoint === undefined) throw new lib.InvalidArgument(lib.formatError('bench:action-noise --checkpoint', 'a checkpoint directory', 'nothing', 'Pass e.g. --checkpoint runs/armpush-b'));
const stds = numbers('std', values.std!, (x) => x >= 0, 'comma-separated numbers >= 0', '0,0.03');
const alphas = numbers('alpha', values.alpha!, (x) => x >= 0 && x < 1, 'comma-separated numbers in [0, 1)', '0,0.9');
const [starts] = numbers('starts', values.starts!, (x) => Number.isInteger(x) && x >= 1, 'an integer >= 1', '32');
const [group] = numbers('group', values.group!, (x) => Number.isInteger(x) && x >= 2, 'an integer >= 2', '4');
const [seed] = numbers('seed', values.seed!, (x) => Number.isInteger(x) && x >= 0, 'an integer >= 0', '50000');

await lib.makeAsync(values.env!); // loads the simulator; the sub-envs below are made synchronously
const n = starts * group;
const envs = Array.from({ length: n }, () => lib.make(values.env!) as lib.Env<Float64Array, Float64Array>);
const obsDim = envs[0].observationSpace.shape.reduce((a: number, b: number) => a * b, 1);
const box = envs[0].actionSpace as lib.Box;
const actDim = box.low.length;
console.log(`bench:action-noise ${values.env}: ${starts} start states x ${group} episodes per (std, alpha), checkpoint ${values.checkpoint}; load ${loadavg()[0].toFixed(1)}`);
console.log('| std | alpha | success % | groups disagreeing % |\n|---|---|---|---|');
for (const std of stds) {
  for (const alpha of alphas) {
    const policy = await lib.loadPolicy(values.checkpoint, { seed: 0 });
    const rng = new Rng(seed);
    const obs = new Float32Array(n * obsDim);
    envs.forEach((e, i) => {
      obs.set(e.reset({ seed: seed + Math.floor(i / group) }).obs, i * obsDim);
      policy.resetEpisode?.(i);
    });
    const noise = new Float64Array(n * actDim);
    const innovation = std * Math.sqrt(1 - alpha * alpha);
    const success = new Array<boolean>(n).fill(false);
    const done = new Array<boolean>(n).fill(false);
    const action = new Float64Array(actDim);
    while (!done.every(Boolean)) {
      const mean = (await policy.act(obs, { deterministic: true })) as Float32Array;
      for (let i = 0; i < n; i++) {
        if (done[i]) continue;
        for (let j = 0; j < actDim; j++) {
          const k = i * actDim + j;
          noise[k] = alpha * noise[k] + innovation * rng.normal();
          action[j] = Math.min(box.high[j], Math.max(box.low[j], mean[k] + noise[k]));
        }
        const r = envs[i].step(action);
        obs.set(r.obs, i * obsDim);
        if (r.terminated || r.truncated) {
          done[i] = true;
          success[i] = (r.info as { isSuccess?: boolean }).isSuccess === true;
        }
      }
    }
    policy.dispose?.();
    let wins = 0;
    let mixed = 0;
    for (let g = 0; g < starts; g++) {
      const m = success.slice(g * group, (g + 1) * group);
      wins += m.filter(Boolean).length;
      if (m.some(Boolean) && !m.every(Boolean)) mixed++;
    }
    console.log(`| ${std} | ${alpha} | ${((100 * wins) / n).toFixed(0)} | ${((100 * mixed) / starts).toFixed(0)} |`);
  }
}
for (const e of envs) e.close();
