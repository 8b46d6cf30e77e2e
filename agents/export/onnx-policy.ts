import type { Policy } from '../../src/core/policy.js';
import type { Space } from '../../src/core/spaces/space.js';
import { spaceFromJSON } from '../../src/core/spaces/from-json.js';
import { allocateActions, type ActionBatch } from '../../src/core/vector-env.js';
import { FileFormatError, formatError, describeValue } from '../../src/core/errors.js';
import type { StatePair } from './export-source.js';
import { OnnxStepper, type OrtSessionLike, type OrtTensorConstructor, type OrtTensorLike } from './onnx-stepper.js';

/** The fields of an export's `export.json` a runtime reads. */
export interface ExportManifest {
  format: 'lamkit-export';
  kind: string;
  task: string;
  observationSpace: unknown;
  actionSpace: unknown;
  files: Array<{ file: string; role: 'step' | 'window'; state: StatePair[] }>;
}

/**
 * An exported step model (`policy.onnx` of `lamkit export`) as a lamkit
 * {@link Policy}: deterministic actions from ONNX Runtime (Node or Web: pass
 * its session and `Tensor`), recurrent state carried per sub-env. What a
 * robot computer or a web page runs without tfjs or lamkit's networks;
 * `act` is asynchronous with ONNX Runtime's own `run`, synchronous with
 * `createOrtNodeSyncSession` (Node).
 */
export class OnnxPolicy implements Policy {
  readonly observationSpace: Space<unknown>;
  readonly actionSpace: Space<unknown>;
  readonly task: string;
  private readonly steppers = new Map<number, OnnxStepper>();
  private readonly state: StatePair[];

  constructor(
    private readonly session: OrtSessionLike,
    private readonly Tensor: OrtTensorConstructor,
    manifest: ExportManifest,
  ) {
    if (manifest?.format !== 'lamkit-export' || !Array.isArray(manifest.files)) {
      throw new FileFormatError(formatError('OnnxPolicy.manifest', "an export.json of format 'lamkit-export'", describeValue(manifest?.format), 'Pass the export.json that `lamkit export` wrote'));
    }
    this.observationSpace = spaceFromJSON(manifest.observationSpace, 'OnnxPolicy.manifest.observationSpace');
    this.actionSpace = spaceFromJSON(manifest.actionSpace, 'OnnxPolicy.manifest.actionSpace');
    this.task = manifest.task;
    this.state = manifest.files.find((f) => f.role === 'step')?.state ?? [];
  }

  /**
   * Deterministic actions for `obs Float32Array [numEnvs x obsDim]` (raw); row
   * i continues sub-env i's episode. Synchronous when the session runs
   * synchronously (`createOrtNodeSyncSession`), a promise otherwise.
   */
  act(obs: Float32Array): ActionBatch | Promise<ActionBatch> {
    const d = this.observationSpace.flatDim;
    const rows = obs.length / d;
    let stepper = this.steppers.get(rows);
    if (!stepper) this.steppers.set(rows, (stepper = new OnnxStepper(this.session, this.Tensor, this.state, d, rows)));
    if (stepper.canStepSync) return this.actions(stepper.stepSync(obs), rows);
    return stepper.step(obs).then((out) => this.actions(out, rows));
  }

  private actions(out: Record<string, OrtTensorLike>, rows: number): ActionBatch {
    const data = out.action.data as ArrayLike<number | bigint>;
    const actions = allocateActions(this.actionSpace, rows);
    for (let i = 0; i < actions.length; i++) actions[i] = Number(data[i]);
    return actions;
  }

  resetEpisode(envIndex: number): void {
    for (const s of this.steppers.values()) if (envIndex < s.batch) s.resetEpisode(envIndex);
  }
}
