import type { MjModel } from 'mujoco';
import { InvalidArgument, formatError, describeValue } from '../src/core/errors.js';
import type { Mujoco } from './load-mujoco.js';

/** Kinds of named MuJoCo objects `MujocoWorld.id` can look up. */
export type ObjectKind = 'body' | 'joint' | 'geom' | 'site' | 'actuator' | 'camera' | 'sensor' | 'light';

const OBJ_NAMES: Record<ObjectKind, string> = {
  body: 'mjOBJ_BODY',
  joint: 'mjOBJ_JOINT',
  geom: 'mjOBJ_GEOM',
  site: 'mjOBJ_SITE',
  actuator: 'mjOBJ_ACTUATOR',
  camera: 'mjOBJ_CAMERA',
  sensor: 'mjOBJ_SENSOR',
  light: 'mjOBJ_LIGHT',
};
const COUNT_FIELD: Record<ObjectKind, keyof MjModel> = {
  body: 'nbody',
  joint: 'njnt',
  geom: 'ngeom',
  site: 'nsite',
  actuator: 'nu',
  camera: 'ncam',
  sensor: 'nsensor',
  light: 'nlight',
};

/** MuJoCo's `mjtObj` value for `kind`. @throws InvalidArgument for an unknown kind. */
export function objectType(mj: Mujoco, kind: ObjectKind): number {
  const name = OBJ_NAMES[kind];
  if (!name) {
    throw new InvalidArgument(formatError('MujocoWorld.kind', `one of ${Object.keys(OBJ_NAMES).join(', ')}`, describeValue(kind), 'Pass an object kind'));
  }
  return (mj.mjtObj as unknown as Record<string, { value: number }>)[name].value;
}

/** How many objects of `kind` the model has. */
export function objectCount(model: MjModel, kind: ObjectKind): number {
  return model[COUNT_FIELD[kind]] as number;
}

/** Names of all objects of `kind`, by id (unnamed objects give ''). */
export function objectNames(mj: Mujoco, model: MjModel, kind: ObjectKind): string[] {
  const type = objectType(mj, kind);
  const out: string[] = [];
  for (let i = 0, n = objectCount(model, kind); i < n; i++) out.push(mj.mj_id2name(model, type, i) ?? '');
  return out;
}
