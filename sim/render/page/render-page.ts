/**
 * Browser side of the rgb_array renderer: one WebGLRenderer drawing the
 * MuJoCo scene at a fixed size; `render` applies poses and a camera, draws,
 * reads the pixels back and returns them as base64 RGB, rows top to bottom.
 * Driven by `SceneRenderer` through `page.evaluate`.
 */
import type { CameraPose } from '../../scene/camera-pose.js';
import type { SceneDescription } from '../../scene/scene-description.js';
import { createSceneDrawer } from './scene-drawer.js';

/** What the page exposes as `window.lamkitRender`. */
export interface RenderPageApi {
  setScene(description: SceneDescription, width: number, height: number, background: number): void;
  /** `poses`: `[ngeom x 7]`; returns base64 of `Uint8Array [height x width x 3]`. */
  render(poses: number[], camera: CameraPose): string;
}

export function installRenderPage(): RenderPageApi {
  const drawer = createSceneDrawer({ preserveDrawingBuffer: false });
  let rgba = new Uint8Array(0);
  let rgb = new Uint8Array(0);

  const api: RenderPageApi = {
    setScene(description, w, h, background) {
      drawer.setScene(description, w, h, background);
      rgba = new Uint8Array(w * h * 4);
      rgb = new Uint8Array(w * h * 3);
    },
    render(poses, pose) {
      drawer.draw(poses, pose);
      const { width, height } = drawer;
      const gl = drawer.renderer.getContext();
      // Read in the same task as the draw: no preserveDrawingBuffer needed.
      gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, rgba);
      // GL rows run bottom to top; images run top to bottom.
      for (let y = 0; y < height; y++) {
        const src = (height - 1 - y) * width * 4;
        const dst = y * width * 3;
        for (let x = 0; x < width; x++) {
          rgb[dst + 3 * x] = rgba[src + 4 * x];
          rgb[dst + 3 * x + 1] = rgba[src + 4 * x + 1];
          rgb[dst + 3 * x + 2] = rgba[src + 4 * x + 2];
        }
      }
      let binary = '';
      const chunk = 0x8000;
      for (let i = 0; i < rgb.length; i += chunk) binary += String.fromCharCode.apply(null, rgb.subarray(i, i + chunk) as unknown as number[]);
      return btoa(binary);
    },
  };
  (window as unknown as { lamkitRender: RenderPageApi }).lamkitRender = api;
  return api;
}
