/**
 * bench:lang-reach-twins — adds recoloured copies of a split LangReach-v0
 * recording's training episodes in which a distractor wears the target's
 * colour (issue #15): synthetic colour twins.
 *
 * Over half of the 128 x 128 recipe's test failures (sessions 52-53) are
 * colour twins: the table holds the named object and another of the same
 * colour but the other shape, and the policy goes to the wrong one. Only
 * about 2 / 7 of the recorded scenes hold a twin, and in the others the
 * colour alone names the target, so the demonstrations teach shape in few
 * scenes. Here each training episode without a twin whose distractors
 * include one of the other shape is copied once with that distractor's
 * pixels recoloured to the target's colour, in every frame: the same
 * demonstration (same joints, actions, target), now in a twin scene.
 *
 * The scenes are re-made from the recording's seed (episode k reset with
 * `--seed + k`, its instruction checked against the recorded one, as
 * `bench:lang-reach-splits` does) to know where each object lies and what
 * it is; no new demonstration is recorded. Recolouring, per frame, within
 * 0.05 m of the distractor's centre: pixels whose chromaticity is near the
 * distractor's measured colour are scaled channel by channel to the
 * target's measured colour (keeping the shading); pixels on the edge, a
 * blend of the object and the table, are shifted by their share of the
 * object's colour. The arm (grey, black, orange) passing over is left as
 * it is. The output is a new dataset: every source episode as it was
 * (same indices), then the copies; splits train = the source's train +
 * the copies, val and test as in the source.
 *
 * `--examples <dir>`: the first and last frames of the first 8 copies as PNG
 * files, to check the recolouring by eye.
 *
 * Measured (docs/benchmarks.md, "Session 54"): trained on seeds 1 and 2 with
 * the copies, the policies went to the twin less often (25 failures at the
 * twin against 34) but did not succeed more often overall (81.0 / 81.5%
 * against 81.5 / 82.5%).
 *
 * npm run bench:lang-reach-twins -- --data <split dir> --seed <lamkit record --seed> --out <dir> [--examples <dir>]
 */
import { parseArgs } from 'node:util';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { langReachPixelsNear, langReachImagePoint, LANG_REACH_IDS, LANG_REACH_CAMERA, LANG_REACH_OBJECT_HALF, LANG_REACH_COLOURS, writeSplits, mergeDatasets, episodesData, DatasetWriter, datasetSpecOf } from '../src/index.js';
import { encodeImagePng } from '../src/data/image-feature.js';
import { benchFail, recordSeedFlag, openLangReachRecording, remakeLangReachScenes, type RemadeScene } from './lang-reach-scenes.js';

const SCRIPT = 'bench:lang-reach-twins';
const { values } = parseArgs({ options: { data: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, examples: { type: 'string' } } });
const fail = benchFail(SCRIPT);
if (values.data === undefined) fail('--data', `a ${LANG_REACH_IDS.home} recording with splits (npm run bench:lang-reach-splits)`, 'nothing', 'Pass --data <dir>');
if (values.out === undefined) fail('--out', 'a directory for the new dataset', 'nothing', 'Pass --out <dir>');
if (existsSync(values.out!)) fail('--out', 'a path that does not exist yet', values.out!, 'Pass a new directory');
const seed0 = recordSeedFlag(SCRIPT, values.seed);

const { ds, size } = await openLangReachRecording(SCRIPT, values.data!);
const splits = ds.splits;
if (!splits) fail('--data', 'a dataset with train / val / test splits', 'no splits', 'Run npm run bench:lang-reach-splits first');
const frameBytes = size * size * 3;
type SceneObject = RemadeScene['objects'][number];
// The training scenes, re-made: where each object lies and what it is, and the first frame.
const train = splits!.train;
const scenes = await remakeLangReachScenes(SCRIPT, ds, train, seed0, size);

// Pixels per metre on the objects' top plane, and the recolouring radius.
const tanHalf = Math.tan((LANG_REACH_CAMERA.fovyDeg * Math.PI) / 360);
const pxPerM = size / (2 * (LANG_REACH_CAMERA.pos[2] - 2 * LANG_REACH_OBJECT_HALF) * tanHalf);
const radius = 0.05 * pxPerM;
const chroma = (r: number, g: number, b: number): [number, number, number] => {
  const t = r + g + b + 1;
  return [r / t, g / t, b / t];
};
const chromaDistance = (a: readonly number[], b: readonly number[]): number => Math.abs(a[0] - b[0]) + Math.abs(a[1] - b[1]) + Math.abs(a[2] - b[2]);

// Each colour's rendered mean: pixels within 2 px of the centres on the first frames whose chromaticity is near the
// colour's (first its rgba's, then the previous pass's mean; drops the arm and the table).
const means = new Map<string, [number, number, number]>(Object.entries(LANG_REACH_COLOURS).map(([c, rgba]) => [c, rgba.split(' ').slice(0, 3).map((x) => 255 * Number(x)) as [number, number, number]]));
for (const threshold of [0.3, 0.15]) {
  const acc = new Map<string, number[]>();
  for (const { objects, image: px } of scenes) {
    for (const o of objects) {
      const m = means.get(o.colour)!;
      const mc = chroma(m[0], m[1], m[2]);
      for (const p of langReachPixelsNear(o.position, size, size, 2)) {
        if (chromaDistance(chroma(px[p], px[p + 1], px[p + 2]), mc) > threshold) continue;
        const a = acc.get(o.colour) ?? [0, 0, 0, 0];
        a[0] += px[p];
        a[1] += px[p + 1];
        a[2] += px[p + 2];
        a[3] += 1;
        acc.set(o.colour, a);
      }
    }
  }
  for (const [colour, a] of acc) means.set(colour, [a[0] / a[3], a[1] / a[3], a[2] / a[3]]);
}

/** Recolours, in place, the pixels of the object at `position` from colour mean `from` to `to` in one frame. */
function recolour(px: Uint8Array, position: readonly number[], from: readonly number[], to: readonly number[]): number {
  const [u, v] = langReachImagePoint(position, size, size);
  const fc = chroma(from[0], from[1], from[2]);
  // The local table colour: the per-channel median of a ring just outside the radius.
  const ring: number[][] = [[], [], []];
  for (let y = Math.floor(v - radius - 3); y <= Math.ceil(v + radius + 3); y++) {
    for (let x = Math.floor(u - radius - 3); x <= Math.ceil(u + radius + 3); x++) {
      if (x < 0 || y < 0 || x >= size || y >= size) continue;
      const d = Math.hypot(x - u, y - v);
      if (d < radius + 1 || d > radius + 3) continue;
      const p = (y * size + x) * 3;
      for (let c = 0; c < 3; c++) ring[c].push(px[p + c]);
    }
  }
  const bg = ring.map((r) => r.sort((a, b) => a - b)[r.length >> 1] ?? 0);
  const dir = [from[0] - bg[0], from[1] - bg[1], from[2] - bg[2]];
  const dir2 = dir[0] * dir[0] + dir[1] * dir[1] + dir[2] * dir[2];
  // The object itself: pixels near its colour's chromaticity (the arm's orange and the table are not).
  const x0 = Math.max(0, Math.floor(u - radius));
  const y0 = Math.max(0, Math.floor(v - radius));
  const x1 = Math.min(size - 1, Math.ceil(u + radius));
  const y1 = Math.min(size - 1, Math.ceil(v + radius));
  const inDisc = (x: number, y: number): boolean => Math.hypot(x - u, y - v) <= radius;
  const core = new Set<number>();
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const p = (y * size + x) * 3;
      if (inDisc(x, y) && px[p] + px[p + 1] + px[p + 2] > 45 && chromaDistance(chroma(px[p], px[p + 1], px[p + 2]), fc) < 0.2) core.add(y * size + x);
    }
  }
  // Its edge: pixels next to the object that are a blend of the table and the object's colour.
  const edge: Array<[number, number]> = [];
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      if (!inDisc(x, y) || core.has(y * size + x)) continue;
      let touches = false;
      for (let dy = -1; dy <= 1 && !touches; dy++) for (let dx = -1; dx <= 1; dx++) if (core.has((y + dy) * size + x + dx)) touches = true;
      if (!touches) continue;
      const p = (y * size + x) * 3;
      const a = ((px[p] - bg[0]) * dir[0] + (px[p + 1] - bg[1]) * dir[1] + (px[p + 2] - bg[2]) * dir[2]) / Math.max(1, dir2);
      if (a < 0.1 || a > 1) continue;
      const res = Math.hypot(px[p] - bg[0] - a * dir[0], px[p + 1] - bg[1] - a * dir[1], px[p + 2] - bg[2] - a * dir[2]);
      if (res <= 0.25 * Math.sqrt(dir2)) edge.push([p, a]);
    }
  }
  for (const i of core) {
    // Scale each channel (shading kept).
    for (let c = 0; c < 3; c++) px[3 * i + c] = Math.min(255, Math.round((px[3 * i + c] * to[c]) / Math.max(1, from[c])));
  }
  for (const [p, a] of edge) for (let c = 0; c < 3; c++) px[p + c] = Math.max(0, Math.min(255, Math.round(px[p + c] + a * (to[c] - from[c]))));
  return core.size + edge.length;
}

// Which episodes get a copy, and which distractor takes the target's colour.
const plan: Array<{ k: number; target: SceneObject; source: SceneObject }> = [];
let twins = 0;
for (let i = 0; i < train.length; i++) {
  const [target, ...others] = scenes[i].objects;
  if (others.some((o) => o.colour === target.colour)) {
    twins++;
    continue;
  }
  const candidates = others.filter((o) => o.shape !== target.shape);
  if (candidates.length === 0) continue;
  plan.push({ k: train[i], target, source: candidates[train[i] % candidates.length] });
}

await mergeDatasets([values.data!], values.out!);
const writer = await DatasetWriter.open(values.out!, datasetSpecOf(ds.info));
const added: number[] = [];
let changedPixels = 0;
let frames = 0;
if (values.examples) mkdirSync(values.examples, { recursive: true });
try {
  // Episodes read 20 at a time (each data file decoded once per read).
  for (let c = 0; c < plan.length; c += 20) {
    const chunk = plan.slice(c, c + 20);
    const read = await episodesData(ds, chunk.map((e) => e.k));
    chunk.forEach(({ k, target, source }, i) => {
      const data = read[i];
      const px = data.frames['observation.image'] as Uint8Array;
      const from = means.get(source.colour)!;
      const to = means.get(target.colour)!;
      for (let f = 0; f < data.length; f++) {
        changedPixels += recolour(px.subarray(f * frameBytes, (f + 1) * frameBytes), source.position, from, to);
        frames++;
      }
      if (values.examples && added.length < 8) {
        for (const f of [0, data.length - 1]) writeFileSync(join(values.examples, `ep${k}-f${f}.png`), encodeImagePng(px.subarray(f * frameBytes, (f + 1) * frameBytes), [size, size, 3]));
      }
      added.push(writer.totalEpisodes);
      writer.addEpisode(data);
    });
  }
} finally {
  writer.close();
}
writeSplits(values.out!, { seed: null, train: [...train, ...added], val: splits!.val, test: splits!.test });
const fmt = (m: readonly number[]): string => m.map((x) => x.toFixed(0)).join(' ');
console.log(`bench:lang-reach-twins: ${values.data} -> ${values.out}: ${train.length} training scenes (${twins} with a twin already); ${plan.length} recoloured copies added (${(changedPixels / Math.max(1, frames)).toFixed(1)} pixels changed per frame); colour means ${[...means].map(([c, m]) => `${c} ${fmt(m)}`).join(', ')}; splits train ${train.length + added.length} / val ${splits!.val.length} / test ${splits!.test.length}`);
