/**
 * What bench:lang-reach-splits and bench:lang-reach-twins share: opening a
 * LangReach-v0 expert recording with square camera images, and re-making
 * its scenes from the seed it was recorded with (episode k reset with
 * `seed + k`), each checked against the recorded instruction so that a
 * wrong seed is an error, not a silent mislabelling.
 */
import { openDataset, makeImageEnv, LANG_REACH_IDS, imageParts, type LangReach, type LeRobotDataset } from '../src/index.js';
import { parseIntFlag } from '../src/cli/flags.js';

/** Prints `<script> <what>: expected X, got Y. How to fix.` and exits with status 2. */
export function benchFail(script: string): (what: string, expected: string, got: string, fix: string) => never {
  return (what, expected, got, fix) => {
    console.error(`${script} ${what}: expected ${expected}, got ${got}. ${fix}`);
    process.exit(2);
  };
}

/** `--seed`: the seed `lamkit record` was given (required). */
export function recordSeedFlag(script: string, value: string | undefined): number {
  const seed = parseIntFlag(`${script} --seed`, value, 0, '100000');
  if (seed === undefined) benchFail(script)('--seed', 'the --seed the recording was made with (episode k was reset with seed + k)', 'nothing', 'Pass --seed <n>');
  return seed as number;
}

/** Opens `dir` (`--data`) as a LangReach-v0 recording with square camera images; anything else exits with a typed message. */
export async function openLangReachRecording(script: string, dir: string): Promise<{ ds: LeRobotDataset; size: number }> {
  const fail = benchFail(script);
  const ds = await openDataset(dir);
  const envId = ds.info.lamkit?.envId;
  if (envId !== LANG_REACH_IDS.home) fail('--data', `a recording of ${LANG_REACH_IDS.home}`, `one of ${envId ?? 'no lamkit env'} in ${dir}`, `Record it with lamkit record --env ${LANG_REACH_IDS.home}`);
  const image = ds.features['observation.image'];
  if (!image || image.shape.length !== 3 || image.shape[0] !== image.shape[1]) fail('--data', 'square camera images (observation.image, height x width x 3)', image ? `shape [${image.shape.join(', ')}]` : 'no observation.image', 'Record without --no-images');
  return { ds, size: (image as { shape: number[] }).shape[0] };
}

/** A re-made scene: its objects (target first) and its first camera frame (`Uint8Array [size x size x 3]`). */
export interface RemadeScene {
  objects: ReturnType<LangReach['objects']>;
  image: Uint8Array;
}

/** Re-makes episodes `ks` of a LangReach-v0 recording made with `lamkit record --seed seed0`, at `size x size`. */
export async function remakeLangReachScenes(script: string, ds: LeRobotDataset, ks: readonly number[], seed0: number, size: number): Promise<RemadeScene[]> {
  const env = await makeImageEnv(LANG_REACH_IDS.home, { width: size, height: size });
  const key = imageParts(env.observationSpace)[0].key;
  // Every episode's instructions in one read (the first of each is compared with the re-made scene's).
  const recorded = (await ds.readEpisodes(ks, ['observation.instruction'])).map((e) => (e['observation.instruction'] as string[])[0]);
  const scenes: RemadeScene[] = [];
  try {
    for (let i = 0; i < ks.length; i++) {
      const { obs } = await env.reset({ seed: seed0 + ks[i] });
      const scene = env.unwrapped as unknown as LangReach;
      if (recorded[i] !== scene.currentCommand.instruction) {
        benchFail(script)('--seed', `the recording's seed (episode ${ks[i]} says "${recorded[i]}")`, `${seed0}, whose episode ${ks[i]} says "${scene.currentCommand.instruction}"`, 'Pass the --seed given to lamkit record');
      }
      scenes.push({ objects: scene.objects(), image: (obs as Record<string, Uint8Array>)[key].slice() });
    }
  } finally {
    await env.close();
  }
  return scenes;
}
