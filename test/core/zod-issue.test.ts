import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolvePpoConfig } from '../../agents/algos/ppo/ppo-config.js';
import { ppoDefaultsFor } from '../../agents/algos/ppo/task-defaults.js';
import { resolvePolicyConfig } from '../../agents/policies/policy-kinds.js';

const base = { ...ppoDefaultsFor('CartPole-v1', true), seed: 1, totalSteps: 10_000 };
const messageOf = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
};

test('a wrong type or range in --config reads "expected a number, got ..." (was "expected expected number, received string")', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ learningRate: '0.1' }, 'lamkit train --config.learningRate: expected a number, got "0.1".'],
    [{ gamma: 2 }, 'lamkit train --config.gamma: expected a number <= 1, got 2.'],
    [{ learningRate: -1 }, 'lamkit train --config.learningRate: expected a number > 0, got -1.'],
    [{ numEnvs: 1.5 }, 'lamkit train --config.numEnvs: expected an integer, got 1.5.'],
    [{ annealLr: 'yes' }, 'lamkit train --config.annealLr: expected a boolean (true or false), got "yes".'],
    [{ checkpointEvery: -1 }, 'lamkit train --config.checkpointEvery: expected a number >= 0, got -1.'],
    [{ paramGroups: { actor: { frozen: 1 } } }, 'lamkit train --config.paramGroups.actor.frozen: expected a boolean (true or false), got 1.'],
    [{ paramGroups: { actor: { bogus: 1 } } }, 'lamkit train --config.paramGroups.actor: expected only known keys (see agents/algos/ppo/ppo-config.ts), got unknown key(s) bogus.'],
  ];
  for (const [bad, start] of cases) {
    const msg = messageOf(() => resolvePpoConfig({ ...base, ...bad }, 'lamkit train --config'));
    assert.ok(msg.startsWith(start), `${msg}\n  should start with\n${start}`);
    assert.doesNotMatch(msg, /expected expected|received/);
  }
  assert.equal(messageOf(() => resolvePolicyConfig({ hidden: 'x' }, 'p')), 'p.hidden: expected an array, got "x". See the policy kinds in agents/policies/policy-kinds.ts.');
  assert.equal(messageOf(() => resolvePolicyConfig({ activation: 'foo' }, 'p')), 'p.activation: expected one of "tanh", "relu", got "foo". See the policy kinds in agents/policies/policy-kinds.ts.');
});
