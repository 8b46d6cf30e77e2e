import type { Command } from 'commander';
import type { Env } from '../../core/env.js';
import type { Policy } from '../../core/policy.js';
import type { Rng } from '../../core/rng.js';
import { allocateActions } from '../../core/vector-env.js';
import { textRanges } from '../../core/spaces/text.js';
import { InvalidArgument, formatError, describeValue } from '../../core/errors.js';
import { parseIntFlag } from '../flags.js';
import { expertFactory } from './experts.js';

/** Options of {@link startView}. */
export interface ViewOptions {
  /** Registered MuJoCo task id, e.g. `ArmReach-v0`. */
  envId: string;
  /** TCP port (0 = any free port). Default 8080. */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Seed of the first episode (later episodes continue the env's stream) and of random actions. */
  seed?: number;
  /** Simulation steps per second shown; default real time (`1 / env dt`, capped at 60). */
  stepsPerSecond?: number;
  /** Acts instead of random actions (a policy, or a factory given the env); `policyLabel` names it on the page. */
  policy?: Policy | ((env: Env<unknown, unknown>) => Policy);
  policyLabel?: string;
}

/** A running viewer: the server's URL and how to stop it. */
export interface ViewSession {
  url: string;
  /** Steps taken so far (all episodes). */
  readonly steps: number;
  /** Resolves after `close()`; rejects (after closing) if stepping the task or the policy throws. */
  readonly ended: Promise<void>;
  /** Stops the loop, closes the server and the env. Safe to call twice. */
  close(): Promise<void>;
}

/** What the loop needs from a MuJoCo task's `env.unwrapped.world` (a `MujocoWorld`). */
interface WorldLike {
  model: unknown;
  ngeom: number;
  geomXpos(): Float64Array;
  geomXmat(): Float64Array;
  timestepSeconds: number;
}

/**
 * Makes the task, serves the viewer page and steps the task in real time
 * while at least one page is connected, streaming geom poses, step and
 * reward. Without a policy, actions are sampled uniformly from the action
 * space with a seeded `Rng` (labelled "random actions" on the page).
 */
export async function startView(options: ViewOptions): Promise<ViewSession> {
  // The root registers the MuJoCo tasks (cheap: no WASM until makeAsync).
  const { makeAsync, Rng, runEpisodes, ViewerServer, describeModel, writeGeomPoses, POSE_STRIDE } = await import('../../index.js');
  const env: Env<unknown, unknown> = await makeAsync(options.envId);
  const world = (env.unwrapped as unknown as { world?: WorldLike }).world;
  if (!world || typeof world.geomXpos !== 'function') {
    env.close();
    throw new InvalidArgument(formatError('view --env', 'a MuJoCo task (one whose env has a `world`), e.g. ArmReach-v0', describeValue(options.envId), 'Pick a MuJoCo task from `lamkit envs`'));
  }
  let policy: Policy | undefined;
  try {
    policy = typeof options.policy === 'function' ? options.policy(env) : options.policy;
  } catch (err) {
    env.close();
    throw err;
  }
  const seed = options.seed ?? 0;
  // MuJoCo tasks expose `dt` (timestep x frame skip), like Gymnasium's MujocoEnv.
  const taskDt = (env.unwrapped as unknown as { dt?: number }).dt;
  const dtSeconds = typeof taskDt === 'number' && taskDt > 0 ? taskDt : world.timestepSeconds;
  const stepsPerSecond = options.stepsPerSecond ?? Math.min(60, 1 / dtSeconds);
  if (!(stepsPerSecond > 0 && stepsPerSecond <= 1000)) {
    env.close();
    throw new InvalidArgument(formatError('view.stepsPerSecond', 'a number in (0, 1000]', describeValue(stepsPerSecond), 'Pass e.g. 30'));
  }
  const ngeom = world.ngeom;
  const poses = new Float32Array(ngeom * POSE_STRIDE);
  const header = { step: 0, reward: 0, episodeReturn: 0, episode: 0 };
  let needsReset = false;
  let paused = false;
  let steps = 0;

  const server = await ViewerServer.start({
    scene: describeModel(world.model as Parameters<typeof describeModel>[0]),
    port: options.port ?? 8080,
    host: options.host,
    title: options.envId,
    actorLabel: policy ? `policy: ${options.policyLabel ?? 'custom'}` : 'random actions (no policy)',
    onCommand: (cmd) => {
      if (cmd.type === 'reset') needsReset = true;
      else paused = cmd.paused;
    },
  });

  // Pacing: the loop waits for the next tick, and ticks pass only while a page is connected and not paused.
  const stop = new AbortController();
  let wake: (() => void) | null = null;
  const timer = setInterval(() => {
    if (wake && !paused && server.clientCount > 0) {
      const w = wake;
      wake = null;
      w();
    }
  }, 1000 / stepsPerSecond);
  const nextTick = (): Promise<void> => (stop.signal.aborted ? Promise.resolve() : new Promise<void>((resolve) => (wake = resolve)));
  const broadcast = (): void => server.broadcastFrame(header, writeGeomPoses(world.geomXpos(), world.geomXmat(), ngeom, poses));
  // Instruction-following tasks: the observation's Text part (the instruction) is shown in the HUD when it changes.
  const textKey = textRanges(env.observationSpace)[0]?.key;
  let shown: string | null = null;
  const showInstruction = (obs: unknown): void => {
    if (textKey === undefined) return;
    const text = textKey ? (obs as Record<string, unknown>)[textKey] : obs;
    if (typeof text === 'string' && text !== shown) server.broadcastInstruction((shown = text));
  };

  // One tick, one thing: a step (its frame), or a reset (its frame, from the second episode on).
  const loop = runEpisodes(env, policy ?? randomActions(env, new Rng(seed)), {
    seeds: [seed],
    deterministic: true,
    signal: stop.signal,
    keepEpisodes: false,
    onEpisodeStart: async ({ episode, obs }) => {
      Object.assign(header, { step: 0, reward: 0, episodeReturn: 0, episode });
      showInstruction(obs);
      needsReset = false;
      if (episode > 0) broadcast();
      await nextTick();
    },
    onStep: async (s) => {
      steps++;
      Object.assign(header, { step: s.t + 1, reward: s.reward, episodeReturn: s.episodeReturn });
      showInstruction(s.nextObs);
      broadcast();
      await nextTick();
      return needsReset ? 'end-episode' : undefined;
    },
  });
  let closing: Promise<void> | null = null;
  let rejectEnded: (err: unknown) => void = () => {};
  let resolveEnded: () => void = () => {};
  const ended = new Promise<void>((resolve, reject) => {
    resolveEnded = resolve;
    rejectEnded = reject;
  });
  ended.catch(() => undefined); // observed through `ended`; not an unhandled rejection when nobody awaits it
  const close = (): Promise<void> => {
    closing ??= (async () => {
      stop.abort();
      wake?.();
      clearInterval(timer);
      await loop.catch(() => undefined);
      await server.close();
      env.close();
    })();
    return closing;
  };
  // A failing step (or policy) stops the viewer and rejects `ended`: never logged and carried on.
  loop.catch((err: unknown) => {
    void close().finally(() => rejectEnded(err));
  });

  return {
    url: server.url,
    get steps() {
      return steps;
    },
    ended,
    async close() {
      await close();
      resolveEnded();
    },
  };
}

/** Uniform random actions from the action space with a seeded `Rng`, as a `Policy` (the viewer's default actor). */
function randomActions(env: Env<unknown, unknown>, rng: Rng): Policy {
  const batch = allocateActions(env.actionSpace, 1);
  return {
    observationSpace: env.observationSpace,
    actionSpace: env.actionSpace,
    act: () => {
      const a = env.actionSpace.sample(rng);
      if (typeof a === 'number') batch[0] = a;
      else batch.set(a as ArrayLike<number>);
      return batch;
    },
  };
}

/** `lamkit view --env <id> [--port p] [--policy <checkpoint>]`. */
export function register(program: Command): void {
  program
    .command('view')
    .description('Serve a live three.js view of a MuJoCo task (open the printed URL in a browser)')
    .requiredOption('--env <id>', 'MuJoCo task id, e.g. ArmReach-v0')
    .option('--port <port>', 'TCP port (0 = any free port)', '8080')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--seed <seed>', 'seed of the first episode and of random actions', '0')
    .option('--steps-per-second <n>', 'simulation speed (default: real time, at most 60)')
    .option('--policy <checkpoint|expert>', "policy checkpoint to act with, or 'expert' for the task's scripted expert (default: random actions)")
    .option('--in-browser', 'run the whole loop in the page: MuJoCo WASM physics, three.js and the --policy checkpoint (mlp or transformer) all in the browser; the server only serves files')
    .action(async (flags: { env: string; port: string; host: string; seed: string; stepsPerSecond?: string; policy?: string; inBrowser?: boolean }) => {
      const port = parseIntFlag('lamkit view --port', flags.port, 0, '8080') as number;
      const seed = parseIntFlag('lamkit view --seed', flags.seed, 0, '0') as number;
      const stepsPerSecond = flags.stepsPerSecond === undefined ? undefined : Number(flags.stepsPerSecond);
      if (flags.inBrowser) {
        await viewInBrowser({ envId: flags.env, checkpoint: flags.policy, port, host: flags.host, seed, stepsPerSecond });
        return;
      }
      const policy = flags.policy === undefined ? undefined : flags.policy === 'expert' ? await expertFactory(flags.env) : await loadPolicyCheckpoint(flags.policy, flags.env, seed);
      const session = await startView({ envId: flags.env, port, host: flags.host, seed, stepsPerSecond, policy, policyLabel: flags.policy });
      process.stdout.write(`lamkit view: ${flags.env} at ${session.url} (${policy ? `policy: ${flags.policy}` : 'random actions'}); Ctrl-C to stop\n`);
      const signal = new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await Promise.race([signal, session.ended]);
      await session.close();
    });
}

/** `lamkit view --in-browser`: serves the in-browser loop of a checkpoint until Ctrl-C. */
async function viewInBrowser(o: { envId: string; checkpoint: string | undefined; port: number; host: string; seed: number; stepsPerSecond: number | undefined }): Promise<void> {
  if (o.checkpoint === undefined || o.checkpoint === 'expert') {
    throw new InvalidArgument(formatError('lamkit view --in-browser --policy', 'a checkpoint directory (the policy runs in the page)', describeValue(o.checkpoint), 'Pass --policy <checkpoint> of an mlp or transformer policy'));
  }
  const { startInBrowserLoop } = await import('../in-browser/in-browser-server.js');
  const server = await startInBrowserLoop({ checkpoint: o.checkpoint, port: o.port, host: o.host, seed: o.seed, stepsPerSecond: o.stepsPerSecond });
  if (server.task !== o.envId) {
    await server.close();
    throw new InvalidArgument(formatError('view --policy', `a checkpoint trained on ${o.envId}`, `one trained on ${server.task} (${o.checkpoint})`, `Pass --env ${server.task}, or a checkpoint of ${o.envId}`));
  }
  process.stdout.write(`lamkit view: ${o.envId} at ${server.url} (in the browser: physics, scene and policy ${o.checkpoint} run in the page); Ctrl-C to stop\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
}

export { expertFactory };

/**
 * Loads the policy of a checkpoint written by `lamkit train` with the agents
 * area's `loadPolicy` (plain JS forward pass, no tfjs backend) and checks it
 * was trained on `envId`.
 */
async function loadPolicyCheckpoint(path: string, envId: string, seed: number): Promise<Policy> {
  const { loadPolicy } = await import('../../index.js');
  const policy = await loadPolicy(path, { seed });
  if (policy.envId !== envId) {
    policy.dispose?.();
    throw new InvalidArgument(formatError('view --policy', `a checkpoint trained on ${envId}`, `one trained on ${policy.envId} (${policy.checkpointDir})`, `Pass --env ${policy.envId}, or a checkpoint of ${envId}`));
  }
  return policy;
}
