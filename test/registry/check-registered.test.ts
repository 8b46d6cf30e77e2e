import { test } from 'node:test';
import assert from 'node:assert/strict';
import { registeredIds, make, prepare } from '../../src/registry/registry.js';
import { checkEnv } from '../../src/core/check-env.js';
// The public entry registers every built-in task (classic now, MuJoCo when it lands).
import '../../envs/index.js';

test('at least the classic tasks are registered', () => {
  assert.ok(registeredIds().includes('CartPole-v1'));
  assert.ok(registeredIds().includes('Pendulum-v1'));
});

for (const id of registeredIds()) {
  test(`checkEnv passes on ${id}`, async () => {
    await prepare(id);
    const env = make(id);
    checkEnv(env, { seed: 3, steps: 30, makeFresh: () => make(id) });
    // close() is idempotent: checkEnv already closed it twice.
    env.close();
  });
}
