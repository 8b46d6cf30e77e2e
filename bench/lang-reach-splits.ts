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
 * `meta/info.json` (`writeSplits`, atomically). With `--labels`, also each
 * in-sight episode's target centre projected into the image
 * (`langReachImagePoint`, normalized image coordinates; hidden episodes
 * null) as `lamkit.keypointLabels` (`writeKeypointLabels`): what
 * `lamkit finetune --config '{"keypointLabelLoss": w}'` teaches the first
 * image keypoint to find (a label from the simulator, not in the policy's
 * inputs).
 *
 * npm run bench:lang-reach-splits -- --data <dir> --seed <lamkit record --seed> [--train 200] [--val 20] [--labels]
 */
import { parseArgs } from 'node:util';
import { langReachObjectPixels, langReachImagePoint, LANG_REACH_SEEN_PIXELS, LANG_REACH_IDS, writeSplits, writeKeypointLabels } from '../src/index.js';
import { parseIntFlag } from '../src/cli/flags.js';
import { benchFail, recordSeedFlag, openLangReachRecording, remakeLangReachScenes } from './lang-reach-scenes.js';

const SCRIPT = 'bench:lang-reach-splits';
const { values } = parseArgs({ options: { data: { type: 'string' }, seed: { type: 'string' }, train: { type: 'string', default: '200' }, val: { type: 'string', default: '20' }, labels: { type: 'boolean', default: false } } });
const fail = benchFail(SCRIPT);
if (values.data === undefined) fail('--data', `a ${LANG_REACH_IDS.home} dataset directory (lamkit record --env ${LANG_REACH_IDS.home} --policy expert --out <dir>)`, 'nothing', 'Pass --data <dir>');
const seed0 = recordSeedFlag(SCRIPT, values.seed);
const nTrain = parseIntFlag(`${SCRIPT} --train`, values.train, 1, '200') as number;
const nVal = parseIntFlag(`${SCRIPT} --val`, values.val, 0, '20') as number;

const { ds, size } = await openLangReachRecording(SCRIPT, values.data!);
const n = ds.episodes.length;
const visible: number[] = [];
const hidden: number[] = [];
const scenes = await remakeLangReachScenes(SCRIPT, ds, ds.episodes.map((_, k) => k), seed0, size);
scenes.forEach(({ objects, image }, k) => (langReachObjectPixels(image, size, size, objects[0]) < LANG_REACH_SEEN_PIXELS ? hidden : visible).push(k));
if (visible.length < nTrain + nVal) fail('--train/--val', `at most ${visible.length} scenes in sight together (of ${n}; ${hidden.length} hidden)`, `${nTrain} + ${nVal}`, 'Record more episodes or lower --train/--val');
const train = visible.slice(0, nTrain);
const val = visible.slice(nTrain, nTrain + nVal);
const test = [...visible.slice(nTrain + nVal), ...hidden].sort((a, b) => a - b);
writeSplits(values.data!, { seed: null, train, val, test });
if (values.labels) {
  const seen = new Set(visible);
  writeKeypointLabels(values.data!, scenes.map(({ objects }, k) => {
    if (!seen.has(k)) return null;
    const [u, v] = langReachImagePoint(objects[0].position, size, size);
    return [(2 * u) / size - 1, (2 * v) / size - 1] as const;
  }));
}
console.log(`bench:lang-reach-splits: ${values.data} (${n} episodes, ${size} x ${size}, seed ${seed0}): target hidden on the first frame in ${hidden.length}; wrote train ${train.length} / val ${val.length} / test ${test.length} (train and val in sight only)${values.labels ? `; keypoint labels for the ${visible.length} in sight` : ''}`);
