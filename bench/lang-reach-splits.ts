/**
 * bench:lang-reach-splits — splits a LangReach-v0 expert recording so that
 * training and validation take only scenes whose target shows on the first
 * frame (issue #15, session 52's recipe): at v0's start pose the hand hides
 * the target from the `overview` camera in 8-13% of scenes, and those
 * demonstrations teach an action the image cannot explain.
 *
 * Each recorded episode k is reset again with `--seed + k` (the seed given
 * to `lamkit record`), its first frame rendered at the recording's image
 * size, and the target marked hidden as `bench:lang-reach-keypoints` marks
 * it (`langReachObjectPixels` below `LANG_REACH_SEEN_PIXELS`). Every
 * episode's recorded instruction must equal the re-made scene's, so a wrong
 * `--seed` is an error, not a silent mislabelling. Then train = the first
 * `--train` scenes in sight, val = the next `--val` in sight, test = every
 * other episode (hidden ones included), written into the dataset's
 * `meta/info.json` (`writeSplits`, atomically).
 *
 * npm run bench:lang-reach-splits -- --data <dir> --seed <lamkit record --seed> [--train 200] [--val 20]
 */
import { parseArgs } from 'node:util';
import { openDataset, makeImageEnv, langReachObjectPixels, LANG_REACH_SEEN_PIXELS, LANG_REACH_IDS, imageParts, writeSplits, type LangReach } from '../src/index.js';
import { parseIntFlag } from '../src/cli/flags.js';

const { values } = parseArgs({ options: { data: { type: 'string' }, seed: { type: 'string' }, train: { type: 'string', default: '200' }, val: { type: 'string', default: '20' } } });
const fail = (what: string, expected: string, got: string, fix: string): never => {
  console.error(`bench:lang-reach-splits ${what}: expected ${expected}, got ${got}. ${fix}`);
  process.exit(2);
};
if (values.data === undefined) fail('--data', `a ${LANG_REACH_IDS.home} dataset directory (lamkit record --env ${LANG_REACH_IDS.home} --policy expert --out <dir>)`, 'nothing', 'Pass --data <dir>');
const seed0 = parseIntFlag('bench:lang-reach-splits --seed', values.seed, 0, '100000');
if (seed0 === undefined) fail('--seed', 'the --seed the recording was made with (episode k was reset with seed + k)', 'nothing', 'Pass --seed <n>');
const nTrain = parseIntFlag('bench:lang-reach-splits --train', values.train, 1, '200') as number;
const nVal = parseIntFlag('bench:lang-reach-splits --val', values.val, 0, '20') as number;

const ds = await openDataset(values.data!);
const envId = ds.info.lamkit?.envId;
if (envId !== LANG_REACH_IDS.home) fail('--data', `a recording of ${LANG_REACH_IDS.home}`, `one of ${envId ?? 'no lamkit env'} in ${values.data}`, `Record it with lamkit record --env ${LANG_REACH_IDS.home}`);
const image = ds.features['observation.image'];
if (!image || image.shape.length !== 3 || image.shape[0] !== image.shape[1]) fail('--data', 'square camera images (observation.image, height x width x 3)', image ? `shape [${image.shape.join(', ')}]` : 'no observation.image', 'Record without --no-images');
const size = image!.shape[0];
const n = ds.episodes.length;

const env = await makeImageEnv(LANG_REACH_IDS.home, { width: size, height: size });
const key = imageParts(env.observationSpace)[0].key;
const visible: number[] = [];
const hidden: number[] = [];
// Every episode's instructions in one read (the first of each is compared with the re-made scene's).
const recorded = (await ds.readEpisodes(ds.episodes.map((_, k) => k), ['observation.instruction'])).map((e) => (e['observation.instruction'] as string[])[0]);
try {
  for (let k = 0; k < n; k++) {
    const { obs } = await env.reset({ seed: seed0! + k });
    const scene = env.unwrapped as unknown as LangReach;
    if (recorded[k] !== scene.currentCommand.instruction) {
      fail('--seed', `the recording's seed (episode ${k} says "${recorded[k]}")`, `${seed0}, whose episode ${k} says "${scene.currentCommand.instruction}"`, 'Pass the --seed given to lamkit record');
    }
    const target = scene.objects()[0];
    (langReachObjectPixels((obs as Record<string, Uint8Array>)[key], size, size, target) < LANG_REACH_SEEN_PIXELS ? hidden : visible).push(k);
  }
} finally {
  await env.close();
}
if (visible.length < nTrain + nVal) fail('--train/--val', `at most ${visible.length} scenes in sight together (of ${n}; ${hidden.length} hidden)`, `${nTrain} + ${nVal}`, 'Record more episodes or lower --train/--val');
const train = visible.slice(0, nTrain);
const val = visible.slice(nTrain, nTrain + nVal);
const test = [...visible.slice(nTrain + nVal), ...hidden].sort((a, b) => a - b);
writeSplits(values.data!, { seed: null, train, val, test });
console.log(`bench:lang-reach-splits: ${values.data} (${n} episodes, ${size} x ${size}, seed ${seed0}): target hidden on the first frame in ${hidden.length}; wrote train ${train.length} / val ${val.length} / test ${test.length} (train and val in sight only)`);
