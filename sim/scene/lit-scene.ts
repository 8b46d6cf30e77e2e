import { Color, DirectionalLight, HemisphereLight, Scene } from 'three';
import type { MujocoScene } from './mujoco-scene.js';

/** Options of {@link litScene}. */
export interface LitSceneOptions {
  /** Background colour (`0xRRGGBB`, sRGB); default a dark blue-grey. */
  background?: number;
}

/**
 * A three.js `Scene` holding a {@link MujocoScene}'s root plus lights that
 * follow the model's size: a sky/ground hemisphere light and a key light from
 * above and in front (MuJoCo's default scene has a headlight and a top light).
 * Used by the viewer page and the headless renderer so both look the same.
 */
export function litScene(mujoco: MujocoScene, options: LitSceneOptions = {}): Scene {
  const scene = new Scene();
  scene.background = new Color(options.background ?? 0x1d2330);
  const { center, extent } = mujoco.description;
  scene.add(new HemisphereLight(0xf0f4ff, 0x404040, 2.2));
  const key = new DirectionalLight(0xffffff, 2.0);
  // Y-up world: MuJoCo (x, y, z) is three (x, z, -y).
  key.position.set(center[0] + extent, center[2] + 3 * extent, -center[1] + 2 * extent);
  key.target.position.set(center[0], center[2], -center[1]);
  scene.add(key, key.target);
  scene.add(mujoco.root);
  return scene;
}
