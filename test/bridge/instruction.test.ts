import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BridgeServer } from '../../src/bridge/bridge-server.js';
import { RobotClient } from '../../src/bridge/robot-client.js';
import { envRobotHandler } from '../../src/bridge/env-robot-handler.js';
import { loadMujoco } from '../../sim/load-mujoco.js';
import { CommandAvatar } from '../../envs/command/command-avatar.js';
import { CommandAvatarExpert } from '../../envs/command/command-avatar-expert.js';
import { COMMAND_ACTIONS, phrasings } from '../../envs/command/phrasings.js';

test('a robot on the bridge sends its instruction: RemoteEnv observes { state, instruction } and the expert acts on it', { timeout: 60_000 }, async () => {
  await loadMujoco();
  const env = new CommandAvatar();
  const server = await BridgeServer.listen({ port: 0 });
  let client: RobotClient | null = null;
  try {
    client = await RobotClient.connect({
      url: `ws://127.0.0.1:${server.port}/`,
      robotId: 'avatar',
      observationSpace: env.observationSpace,
      actionSpace: env.actionSpace,
      controlRateHz: 100,
      safeAction: [0],
      handler: envRobotHandler(env as never),
    });
    await server.waitForRobots(1, 5000);
    const remote = server.robot('avatar')!;
    assert.equal(remote.observationSpace.equals(env.observationSpace), true, 'the Text space travels in the handshake');
    const expert = new CommandAvatarExpert(remote);
    const seen = new Set(COMMAND_ACTIONS.flatMap((a) => phrasings(a, 'seen')));
    let { obs } = (await remote.reset({ seed: 4 })) as { obs: { instruction: string } };
    let total = 0;
    for (let t = 0; t < 12; t++) {
      assert.ok(seen.has(obs.instruction), obs.instruction);
      const action = expert.act(remote.observationSpace.flatten(obs) as Float32Array)[0];
      const r = await remote.step(action);
      total += r.reward;
      obs = r.obs as { instruction: string };
    }
    assert.equal(total, 12);
  } finally {
    await client?.close();
    await server.close();
    env.close();
  }
});
