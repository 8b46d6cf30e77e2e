import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalNatsServer } from '../../agents/scale/local-nats-server.js';
import { runTrain, type TrainFlags } from '../../src/cli/commands/train.js';
import { closeAtEnd } from '../helpers/close-at-end.js';
import { until } from '../helpers/until.js';
import { natsSkip, lamkit, metricRows } from './broker-helpers.js';

const skip = natsSkip();
const root = mkdtempSync(join(tmpdir(), 'lamkit-scale-resume-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('a learner continued with --resume republishes its checkpoint weights and trains on from its step', { skip }, async () => {
  const server = closeAtEnd(await LocalNatsServer.start());
  const out = join(root, 'run');
  const first = lamkit(['worker', '--broker', server.url, '--env', 'CartPole-v1', '--worker-id', 'first']);
  const base = { algo: 'ppo', broker: server.url, vectorization: 'sync', progress: false, checkpointMinutes: '0' };
  const a = await runTrain({ ...base, env: 'CartPole-v1', totalSteps: '2560', out } as TrainFlags);
  assert.equal(a.globalStep, 2560);
  assert.equal((await first.exited).code, 0, 'the worker exits when the learner finishes');
  assert.match(a.resumeCommand, new RegExp(`--broker ${server.url.replace(/[./]/g, '\\$&')}`));

  const { connect } = await import('@nats-io/transport-node');
  const { Kvm } = await import('@nats-io/kv');
  const nc = await connect({ servers: server.url });
  const kv = await new Kvm(nc).open('lamkit-lamkit');
  const finalWeights = (await kv.get('policy'))!.string();
  const versions: number[] = [];
  nc.subscribe('lamkit.lamkit.stats.worker.second', {
    callback: (_e, m) => {
      versions.push((m.json() as { version: number }).version);
    },
  });
  const resumed = runTrain({ ...base, resume: out, totalSteps: '5120' } as TrainFlags);
  // The resumed learner publishes its weights before it takes a rollout; a worker started then collects with them.
  let current = finalWeights;
  const poll = setInterval(() => void kv.get('policy').then((e) => (current = e?.string() ?? current)), 50);
  await until(() => current !== finalWeights, 'the resumed learner to publish weights', 600_000);
  clearInterval(poll);
  const second = lamkit(['worker', '--broker', server.url, '--env', 'CartPole-v1', '--worker-id', 'second']);
  const b = await resumed;
  assert.equal(b.globalStep, 5120);
  assert.equal((await second.exited).code, 0);
  await nc.close();
  // 2560 steps = 10 updates of 256: the first weights the resumed learner handed out are version 10.
  assert.equal(versions[0], 10, `versions the second worker collected with: ${versions.join(',')}`);
  const rows = metricRows(out).filter((r) => r['broker/rollouts_received'] !== undefined);
  assert.ok(rows.some((r) => r.global_step > 2560), 'training went on after the resume');
  assert.ok(rows.filter((r) => r.global_step > 2560).every((r) => r['broker/rollout_age'] === 0));
  await server.close();
});
