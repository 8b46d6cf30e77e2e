/**
 * Browser side, shared by the rgb_array page and the video page: one
 * WebGLRenderer drawing a MuJoCo scene at a fixed size from a camera pose.
 */
import { PerspectiveCamera, WebGLRenderer } from 'three';
import type { Scene } from 'three';
import { MujocoScene } from '../../scene/mujoco-scene.js';
import { litScene } from '../../scene/lit-scene.js';
import { applyCameraPose } from '../../scene/camera-pose.js';
import type { CameraPose } from '../../scene/camera-pose.js';
import type { SceneDescription } from '../../scene/scene-description.js';

/** A canvas with a MuJoCo scene on it. */
export interface SceneDrawer {
  readonly renderer: WebGLRenderer;
  /** Size of the drawing buffer in pixels (set by `setScene`). */
  readonly width: number;
  readonly height: number;
  /** Replaces the scene and sizes the canvas to `width x height` pixels; `radialSegments`: tessellation of curved geoms (default 24). */
  setScene(description: SceneDescription, width: number, height: number, background: number, radialSegments?: number): void;
  /**
   * Applies `poses` (`[ngeom x 7]`) and the camera, and draws; with
   * `viewport` (GL pixels, origin bottom-left) only into that rectangle of
   * the canvas, at its aspect ratio (tiles of a batched frame).
   */
  draw(poses: ArrayLike<number>, pose: CameraPose, viewport?: TileViewport): void;
}

/** A rectangle of the canvas in GL pixels (origin bottom-left). */
export interface TileViewport {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Creates the renderer and appends its canvas to the page. With
 * `preserveDrawingBuffer` the image stays readable after the task that drew
 * it (the video encoder reads the canvas asynchronously); without it, read
 * in the same task as `draw`.
 */
export function createSceneDrawer(options: { preserveDrawingBuffer: boolean; offscreen?: boolean }): SceneDrawer {
  // An OffscreenCanvas is never composited onto the page: pixels read back with readPixels cost no compositor frame.
  const canvas = options.offscreen ? new OffscreenCanvas(1, 1) : undefined;
  const renderer = new WebGLRenderer({ antialias: false, preserveDrawingBuffer: options.preserveDrawingBuffer, alpha: false, ...(canvas ? { canvas } : {}) });
  renderer.setPixelRatio(1);
  if (!canvas) document.body.appendChild(renderer.domElement);
  const camera = new PerspectiveCamera(45, 1, 0.01, 100);
  let mujoco: MujocoScene | null = null;
  let scene: Scene | null = null;
  /** Sets the camera's aspect ratio (and projection) when it changes. */
  const setAspect = (aspect: number) => {
    if (camera.aspect !== aspect) {
      camera.aspect = aspect;
      camera.updateProjectionMatrix();
    }
  };
  const drawer = {
    renderer,
    width: 0,
    height: 0,
    setScene(description: SceneDescription, w: number, h: number, background: number, radialSegments?: number) {
      mujoco?.dispose();
      mujoco = new MujocoScene(description, { radialSegments });
      scene = litScene(mujoco, { background });
      drawer.width = w;
      drawer.height = h;
      renderer.setSize(w, h, false);
      camera.aspect = w / h;
      camera.near = description.extent / 100;
      camera.far = description.extent * 100;
      camera.updateProjectionMatrix();
    },
    draw(poses: ArrayLike<number>, pose: CameraPose, viewport?: TileViewport) {
      if (!mujoco || !scene) throw new Error('SceneDrawer.draw: expected setScene() first, got no scene. Call setScene.');
      mujoco.syncFromPoses(poses);
      if (viewport) {
        // The clear and the draw both stay inside the scissor rectangle, so tiles drawn earlier survive.
        renderer.setViewport(viewport.x, viewport.y, viewport.width, viewport.height);
        renderer.setScissor(viewport.x, viewport.y, viewport.width, viewport.height);
        renderer.setScissorTest(true);
        setAspect(viewport.width / viewport.height);
      }
      applyCameraPose(camera, pose);
      renderer.render(scene, camera);
    },
  };
  return drawer;
}
