import { test, after } from 'node:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumSkip } from '../helpers/chromium-gate.js';
import { openOrtWebPage, type OrtWebPage } from '../helpers/ort-web.js';
import { assertParity } from './parity-episodes.js';
import { prepareParityCase, PARITY_KINDS, PARITY_ENVS } from './parity-case.js';

const root = mkdtempSync(join(tmpdir(), 'lamkit-onnx-web-parity-'));
let page: OrtWebPage | null = null;
after(async () => {
  await page?.close();
  rmSync(root, { recursive: true, force: true });
});
const STEPS = 1000;

for (const kind of PARITY_KINDS) {
  for (const envId of PARITY_ENVS) {
    test(`onnxruntime-web (wasm, in Chromium) gives lamkit's actions and values on ${STEPS} recorded steps: ${kind} on ${envId}`, { skip: chromiumSkip(), timeout: 180000 }, async () => {
      const c = await prepareParityCase(root, kind, envId, STEPS);
      page ??= await openOrtWebPage();
      const name = `${kind}-${envId}`;
      page.serve(`/model/${name}/policy.onnx`, readFileSync(join(c.exportDir, 'policy.onnx')));
      if (kind === 'transformer') page.serve(`/model/${name}/policy-window.onnx`, readFileSync(join(c.exportDir, 'policy-window.onnx')));
      const got = await page.call('replay', {
        stepUrl: `/model/${name}/policy.onnx`,
        windowUrl: kind === 'transformer' ? `/model/${name}/policy-window.onnx` : null,
        state: c.state,
        rec: { obsDim: c.rec.obsDim, obs: Array.from(c.rec.obs), episodeStart: Array.from(c.rec.episodeStart), actions: Array.from(c.rec.actions) },
        actDim: c.actDim,
        encoding: c.discrete ? { kind: 'onehot', start: c.discrete.start, n: c.discrete.n } : { kind: 'mean', dim: c.actDim },
      });
      assertParity({ actions: Float64Array.from(got.actions), values: Float64Array.from(got.values) }, c.rec, c.discrete !== null, 'step model (onnxruntime-web)');
      if (got.window) assertParity({ actions: Float64Array.from(got.window.actions), values: Float64Array.from(got.window.values) }, c.rec, c.discrete !== null, 'full-window model (onnxruntime-web)');
    });
  }
}
