import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../../src/data/lerobot-dataset.js';
import { DatasetWriter } from '../../src/data/dataset-writer.js';
import { FileFormatError, InvalidArgument } from '../../src/core/errors.js';
import { Box } from '../../src/core/spaces/box.js';
import { Rng } from '../../src/core/rng.js';
import { tempDir, writeSynthetic, syntheticSpec, syntheticEpisode } from './helpers.js';

test('a directory without meta/info.json is a FileFormatError naming the file', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await assert.rejects(openDataset(dir), (err: Error) => {
      assert.ok(err instanceof FileFormatError);
      assert.match(err.message, new RegExp(`^Dataset\\(${dir}\\): expected a LeRobot dataset directory with meta/info.json, got no ${dir}/meta/info.json\\. Pass the dataset root`));
      return true;
    });
    writeFileSync(join(dir, 'x'), '');
  } finally {
    cleanup();
  }
});

test('bad info.json fields name the file and the field', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await writeSynthetic(dir, [3]);
    const path = join(dir, 'meta/info.json');
    const info = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, JSON.stringify({ ...info, fps: 'fast' }));
    await assert.rejects(openDataset(dir), /meta\/info\.json\.fps: expected a positive number, got "fast"\. Fix meta\/info\.json\./);
    writeFileSync(path, JSON.stringify({ ...info, codebase_version: 'v1.6' }));
    await assert.rejects(openDataset(dir), /info\.json\.codebase_version: expected 'v3\.0' or 'v2\.1', got "v1\.6"/);
  } finally {
    cleanup();
  }
});

test('a column of the wrong type names the data file and the column', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await writeSynthetic(dir, [3, 2]);
    const path = join(dir, 'meta/info.json');
    const info = JSON.parse(readFileSync(path, 'utf8'));
    // The file stores action as list<float>; claim it is int64 class indices.
    info.features.action = { dtype: 'int64', shape: [1], names: null };
    writeFileSync(path, JSON.stringify(info));
    const ds = await openDataset(dir, { readOnly: true });
    await assert.rejects(ds.readFile(0, ['action']), (err: Error) => {
      assert.ok(err instanceof FileFormatError);
      assert.match(err.message, /^Parquet\(.*data\/chunk-000\/file-000\.parquet\)\.action: expected INT64, got a list of FLOAT\. Fix the column type or the feature dtype\/shape in meta\/info\.json\.$/);
      return true;
    });
  } finally {
    cleanup();
  }
});

test('a data file cut short (no footer) is a FileFormatError naming it', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await writeSynthetic(dir, [3]);
    const path = join(dir, 'data/chunk-000/file-000.parquet');
    writeFileSync(path, readFileSync(path).subarray(0, 100));
    const ds = await openDataset(dir, { readOnly: true });
    await assert.rejects(ds.readFile(0), /^FileFormatError: Parquet\(.*file-000\.parquet\): expected a complete Parquet file \(PAR1 header and footer\), got no PAR1 footer magic/);
    rmSync(path);
    await assert.rejects(openDataset(dir, { readOnly: true }), /^FileFormatError: Dataset\(.*\)\.data: expected the data file chunk 0 file 0 of episode 0, got no such file\. Restore the data file from a copy\.$/);
  } finally {
    cleanup();
  }
});

test('the writer refuses episodes whose action size does not match the dataset (the policy\'s space), naming the feature', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const w = await DatasetWriter.open(dir, syntheticSpec(3, 2));
    const ep = syntheticEpisode(new Rng(0), 4, 3, 3);
    assert.throws(() => w.addEpisode(ep), (err: Error) => {
      assert.ok(err instanceof InvalidArgument);
      assert.match(err.message, /addEpisode\.frames\.action: expected Float32Array \[4 x 2\] \(action: float32 x 2\), got Float32Array\(12\)/);
      return true;
    });
    assert.equal(w.totalEpisodes, 0, 'nothing journaled');
    w.close();
    const ds = await openDataset(dir);
    assert.throws(() => ds.assertFitsPolicy({ observationSpace: new Box(-1, 1, [3]), actionSpace: new Box(-1, 1, [6]) }), /features\.action: expected size 6/);
  } finally {
    cleanup();
  }
});
