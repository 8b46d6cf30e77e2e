import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '../../envs/index.js';
import { makeVec } from '../../src/registry/make-vec.js';
import { make } from '../../src/registry/registry.js';
import { MetricStream, type MetricRow } from '../../src/streams/metrics.js';
import { openDataset } from '../../src/data/lerobot-dataset.js';
import { datasetTransitions } from '../../agents/rewards/dataset-transitions.js';
import { gailTrainer } from '../../agents/algos/gail/gail-trainer.js';
import { airlTrainer } from '../../agents/algos/airl/airl-trainer.js';
import { saveCheckpoint, type CheckpointData } from '../../agents/checkpoint/save-checkpoint.js';
import { readCheckpoint } from '../../agents/checkpoint/read-checkpoint.js';

const DEMOS = fileURLToPath(new URL('../fixtures/imitation/cartpole-demos', import.meta.url));
const strip = (rows: MetricRow[]): unknown[] => rows.map(({ wall_s: _w, 'perf/sps': _s, ...rest }) => rest);
const policyBytes = (d: CheckpointData): Buffer[] => d.policy.tensors.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));

// AIRL with a replay buffer of 3 rollouts (8 x 32 steps each): the checkpoint carries it in arrays.bin.
for (const [trainer, replayCapacity] of [[gailTrainer, 0], [airlTrainer, 0], [airlTrainer, 768]] as const) {
  test(`${trainer.name}${replayCapacity ? ` with replayCapacity ${replayCapacity}` : ''}: a run stopped at a checkpoint and resumed from disk equals the uninterrupted run bit for bit (policy, PPO and discriminator optimizers, learned reward, RNGs, metrics${replayCapacity ? ', replay buffer' : ''})`, async () => {
    const env = make('CartPole-v1');
    const ds = await openDataset(DEMOS);
    const { transitions, demonstrations } = await datasetTransitions(ds, [0, 1], env.observationSpace, env.actionSpace, 'test demos');
    env.close();
    // 8 updates of 8 x 32 steps; a checkpoint every 4.
    const config = trainer.resolveConfig({ ...trainer.defaults('CartPole-v1', true), seed: 3, totalSteps: 2048, checkpointEvery: 1024, reward: { updatesPerRollout: 2, batchSize: 64, replayCapacity } }, 'test');
    const dir = mkdtempSync(join(tmpdir(), `lamkit-${trainer.name}-resume-`));
    const run = async (stopAt: number | undefined, resume: CheckpointData | null, saveTo: string | null): Promise<{ final: CheckpointData; rows: MetricRow[] }> => {
      const vec = await makeVec('CartPole-v1', { numEnvs: config.numEnvs, makeOptions: { disableEnvChecker: true } });
      const metrics = new MetricStream();
      const rows: MetricRow[] = [];
      metrics.subscribe((r) => rows.push(r));
      let final: CheckpointData | null = null;
      let step = 0;
      metrics.subscribe((r) => void (step = Math.max(step, r.global_step)));
      try {
        await trainer.run({
          vec, config: resume ? trainer.resumeConfig(resume, undefined, 'test') : config, policy: undefined, from: null, resume, metrics,
          meta: { envId: 'CartPole-v1', observationSpace: vec.singleObservationSpace, actionSpace: vec.singleActionSpace, backend: 'test' },
          save: (d: CheckpointData) => {
            final = d;
            if (saveTo) saveCheckpoint(saveTo, d);
          },
          stop: () => stopAt !== undefined && step >= stopAt, recoverable: () => false, log: () => {},
          imitation: { transitions, demonstrations, expert: null, makeEnv: null, aggregateDir: null, envId: 'CartPole-v1' },
        } as Parameters<typeof trainer.run>[0]);
      } finally {
        await vec.close();
      }
      return { final: final as unknown as CheckpointData, rows };
    };
    try {
      const whole = await run(undefined, null, null);
      const first = await run(1024, null, join(dir, 'checkpoint'));
      assert.equal(first.final.algo.state.globalStep, 1024);
      const rest = await run(undefined, readCheckpoint(dir).data, null);
      assert.equal(rest.final.algo.state.globalStep, 2048);
      assert.equal(rest.final.algo.name, trainer.name);
      assert.deepEqual(policyBytes(rest.final), policyBytes(whole.final));
      for (const [name, g] of Object.entries(whole.final.algo.optimizer?.groups ?? {})) {
        const r = rest.final.algo.optimizer!.groups[name];
        assert.deepEqual([r.step, Buffer.from(r.m.buffer), Buffer.from(r.v.buffer)], [g.step, Buffer.from(g.m.buffer), Buffer.from(g.v.buffer)], `PPO optimizer group ${name}`);
      }
      const [a, b] = [rest.final.algo.state, whole.final.algo.state] as Array<Record<string, unknown>>;
      assert.deepEqual(a.reward, b.reward, 'the learned reward network');
      assert.deepEqual(a.adversarial, b.adversarial, 'discriminator optimizer, reward scale and RNG');
      assert.deepEqual(a.rng, b.rng);
      if (replayCapacity) {
        assert.deepEqual((first.final.algo.state.adversarial as { replayRows: number[] }).replayRows, [256, 256, 256], 'the checkpoint holds the last 3 rollouts');
        assert.ok(existsSync(join(dir, 'checkpoint', 'arrays.bin')));
        assert.deepEqual(Object.keys(rest.final.algo.arrays ?? {}).sort(), ['replay.absorbing', 'replay.actions', 'replay.nextObs', 'replay.obs', 'replay.terminated']);
        for (const [name, arr] of Object.entries(whole.final.algo.arrays!)) assert.deepEqual(Buffer.from(rest.final.algo.arrays![name].buffer), Buffer.from(arr.buffer), name);
        rmSync(join(dir, 'checkpoint', 'arrays.bin'));
        assert.throws(() => readCheckpoint(dir), { name: 'FileFormatError', message: /arrays\.bin: expected the file to exist \(checkpoint\.json lists arrays in it\), got a missing file/ });
      } else {
        assert.equal(whole.final.algo.arrays, undefined, 'no replay: no arrays');
      }
      const after = whole.rows.filter((r) => r.global_step > 1024);
      assert.ok(after.some((r) => r['disc/loss'] !== undefined));
      assert.deepEqual(strip(rest.rows), strip(after));
      // Training moved the reward after the checkpoint (else the comparison would be empty).
      assert.notDeepEqual((first.final.algo.state as Record<string, unknown>).reward, b.reward);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
