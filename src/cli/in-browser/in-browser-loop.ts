/**
 * The whole control loop in a web page (`lamkit view --in-browser`): MuJoCo's
 * WASM physics, the three.js scene and the policy all run here; the server
 * only serves files (this bundle, mujoco.wasm, the checkpoint). Bundled with
 * esbuild by src/cli/in-browser/in-browser-server.ts.
 *
 * State for tests and overlays: `window.lamkitLoop` ({@link LoopPageState}).
 */
import { PerspectiveCamera, Vector3, WebGLRenderer } from 'three';
import { loadMujoco } from '../../../sim/load-mujoco.js';
import { MujocoScene } from '../../../sim/scene/mujoco-scene.js';
import { litScene } from '../../../sim/scene/lit-scene.js';
import { defaultFreeCamera } from '../../../sim/scene/camera-pose.js';
import { describeModel } from '../../../sim/scene/scene-description.js';
import { writeGeomPoses, POSE_STRIDE } from '../../../sim/scene/geom-poses.js';
import { TimeLimit } from '../../wrappers/time-limit.js';
import { runEpisodes } from '../../core/run-episodes.js';
import type { Env } from '../../core/env.js';
import { InvalidArgument, formatError, describeValue } from '../../core/errors.js';
import type { Policy } from '../../core/policy.js';
import { IN_BROWSER_TASKS, type InBrowserTask } from './in-browser-tasks.js';
import { policyFromCheckpointFiles } from './policy-from-files.js';

/** What the page reports (readable as `window.lamkitLoop`). */
export interface LoopPageState {
  task: string;
  policyKind: string;
  steps: number;
  /** Finished episodes: return, length and `info.isSuccess` of the last step. */
  episodes: Array<{ return: number; length: number; success: boolean | null }>;
  /** Largest joint-space distance (rad, Euclidean over qpos) from the first posture seen: the arm moved. */
  maxQposTravel: number;
  framesDrawn: number;
  /** Mean milliseconds per control step spent in the policy (in this page). */
  policyMsPerStep: number;
  done: boolean;
  error: string | null;
}

/** Page configuration the server writes into the HTML (`window.lamkitLoopConfig`). */
export interface LoopPageConfig {
  task: string;
  seed: number;
  /** Episodes to run (0: run until the page closes). */
  episodes: number;
  /** Control steps per second (0: as fast as the page can). */
  stepsPerSecond: number;
  /** URLs of the checkpoint's `checkpoint.json` and `policy.bin`. */
  checkpointJson: string;
  policyBin: string;
}

async function main(): Promise<void> {
  const config = (window as unknown as { lamkitLoopConfig: LoopPageConfig }).lamkitLoopConfig;
  const state: LoopPageState = { task: config.task, policyKind: '', steps: 0, episodes: [], maxQposTravel: 0, framesDrawn: 0, policyMsPerStep: 0, done: false, error: null };
  (window as unknown as { lamkitLoop: LoopPageState }).lamkitLoop = state;
  const hud = document.getElementById('hud') as HTMLElement;
  try {
    const task: InBrowserTask | undefined = IN_BROWSER_TASKS[config.task];
    if (!task) throw new InvalidArgument(formatError('lamkitLoopConfig.task', `a task the page can build (${Object.keys(IN_BROWSER_TASKS).join(', ')})`, describeValue(config.task), 'Serve a checkpoint of one of those tasks'));
    const [json, bin] = await Promise.all([fetch(config.checkpointJson).then((r) => r.json()), fetch(config.policyBin).then((r) => r.arrayBuffer())]);
    const policy = policyFromCheckpointFiles(json, new Uint8Array(bin), config.seed);
    state.policyKind = policy.kind;
    await loadMujoco();
    const env = new TimeLimit(task.create(), task.maxEpisodeSteps) as unknown as Env<unknown, unknown>;
    const world = (env.unwrapped as unknown as { world: import('../../../sim/mujoco-world.js').MujocoWorld }).world;
    const view = startScene(document.getElementById('view') as HTMLElement, world, state);
    const first = world.qpos().slice();
    let policyMs = 0;
    const timed: Policy = {
      observationSpace: policy.observationSpace,
      actionSpace: policy.actionSpace,
      resetEpisode: (i) => policy.resetEpisode?.(i),
      act: (obs, options) => {
        const t0 = performance.now();
        const a = policy.act(obs, options);
        policyMs += performance.now() - t0;
        return a;
      },
    };
    const tick = (): Promise<void> => new Promise((resolve) => (config.stepsPerSecond > 0 ? setTimeout(resolve, 1000 / config.stepsPerSecond) : setTimeout(resolve, 0)));
    await runEpisodes(env, timed, {
      episodes: config.episodes > 0 ? config.episodes : undefined,
      seed: config.seed,
      deterministic: true,
      onStep: async (s) => {
        state.steps++;
        state.policyMsPerStep = policyMs / state.steps;
        const q = world.qpos();
        let d2 = 0;
        for (let i = 0; i < first.length; i++) d2 += (q[i] - first[i]) ** 2;
        state.maxQposTravel = Math.max(state.maxQposTravel, Math.sqrt(d2));
        view.sync();
        hud.textContent = `${config.task} | ${policy.kind} policy in the page | episode ${state.episodes.length + 1} step ${s.t + 1} | return ${s.episodeReturn.toFixed(2)} | successes ${state.episodes.filter((e) => e.success).length}/${state.episodes.length}`;
        await tick();
      },
      onEpisodeEnd: (e) => void state.episodes.push({ return: e.return, length: e.length, success: e.success }),
    });
    state.done = true;
    hud.textContent += ' | done';
  } catch (err) {
    state.error = (err as Error).message ?? String(err);
    hud.textContent = `error: ${state.error}`;
  }
}

/** three.js scene of the world's geoms, redrawn each animation frame after a `sync`. */
function startScene(container: HTMLElement, world: import('../../../sim/mujoco-world.js').MujocoWorld, state: LoopPageState): { sync(): void } {
  const description = describeModel(world.model as Parameters<typeof describeModel>[0]);
  const mujoco = new MujocoScene(description);
  const scene = litScene(mujoco);
  const renderer = new WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
  renderer.setSize(container.clientWidth, container.clientHeight);
  container.appendChild(renderer.domElement);
  const camera = new PerspectiveCamera(45, container.clientWidth / Math.max(1, container.clientHeight), description.extent / 100, description.extent * 100);
  const pose = defaultFreeCamera(description);
  const [cx, cy, cz] = description.center;
  camera.position.set(pose.posWorld[0], pose.posWorld[2], -pose.posWorld[1]);
  camera.lookAt(new Vector3(cx, cz, -cy));
  const poses = new Float32Array(world.ngeom * POSE_STRIDE);
  let dirty = true;
  const draw = (): void => {
    requestAnimationFrame(draw);
    if (!dirty) return;
    renderer.render(scene, camera);
    state.framesDrawn++;
    dirty = false;
  };
  const sync = (): void => {
    mujoco.syncFromPoses(writeGeomPoses(world.geomXpos(), world.geomXmat(), world.ngeom, poses));
    dirty = true;
  };
  sync();
  draw();
  return { sync };
}

void main();
