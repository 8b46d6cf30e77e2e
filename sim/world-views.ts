import type { MjData } from 'mujoco';

/** Cached live views into WASM memory; refreshed when memory growth detaches them. */
export interface Views {
  qpos: Float64Array;
  qvel: Float64Array;
  ctrl: Float64Array;
  act: Float64Array;
  xpos: Float64Array;
  xmat: Float64Array;
  xquat: Float64Array;
  geomXpos: Float64Array;
  geomXmat: Float64Array;
  siteXpos: Float64Array;
  siteXmat: Float64Array;
  mocapPos: Float64Array;
  mocapQuat: Float64Array;
}

/** Reads fresh views of `d`'s arrays (stale views have length 0 after WASM memory grows). */
export function readViews(d: MjData): Views {
  return {
    qpos: d.qpos,
    qvel: d.qvel,
    ctrl: d.ctrl,
    act: d.act,
    xpos: d.xpos,
    xmat: d.xmat,
    xquat: d.xquat,
    geomXpos: d.geom_xpos,
    geomXmat: d.geom_xmat,
    siteXpos: d.site_xpos,
    siteXmat: d.site_xmat,
    mocapPos: d.mocap_pos,
    mocapQuat: d.mocap_quat,
  };
}
