/**
 * Browser side of the rgb_array renderer: one WebGLRenderer drawing the
 * MuJoCo scene; `render` applies poses and a camera, draws, reads the pixels
 * back and returns them as base64 RGB, rows top to bottom. `renderBatch`
 * draws many sub-envs' states into tiles of one canvas and reads them back
 * with one `readPixels`: one round trip for the whole batch.
 * Driven by `SceneRenderer` / `BatchedSceneRenderer` through `page.evaluate`.
 */
import type { CameraPose } from '../../scene/camera-pose.js';
import type { SceneDescription } from '../../scene/scene-description.js';
import { createSceneDrawer } from './scene-drawer.js';

/** What the page exposes as `window.lamkitRender`. */
export interface RenderPageApi {
  /** The canvas becomes `width x height` pixels (a batched renderer passes the whole tile grid). */
  setScene(description: SceneDescription, width: number, height: number, background: number): void;
  /** `poses`: `[ngeom x 7]`; returns base64 of `Uint8Array [height x width x 3]`. */
  render(poses: number[], camera: CameraPose): string;
  /**
   * `poses[i]`: sub-env i's `[ngeom x 7]`; tile i of `tileWidth x tileHeight`
   * sits at column `i % columns`, row `floor(i / columns)` of the canvas.
   * Returns base64 of the zlib stream (`CompressionStream('deflate')`) of
   * `Uint8Array [n x tileHeight x tileWidth x 3]`: the page-to-Node
   * transfer costs ~0.2 ms per KB under load (docs/benchmarks.md, "Batched rendering"), and rendered scenes
   * (flat table, background) deflate several times over.
   */
  renderBatch(poses: number[][], cameras: CameraPose[], tileWidth: number, tileHeight: number, columns: number): Promise<string>;
}

export function installRenderPage(): RenderPageApi {
  const drawer = createSceneDrawer({ preserveDrawingBuffer: false, offscreen: true });
  let rgba = new Uint8Array(0);
  let rgb = new Uint8Array(0);

  /** Copies the `w x h` rectangle at GL (x0, y0) of `rgba` (canvas `canvasWidth` wide) into `rgb` at `outOffset`, rows flipped to top-to-bottom. */
  function copyTile(canvasWidth: number, x0: number, y0: number, w: number, h: number, outOffset: number): void {
    for (let y = 0; y < h; y++) {
      const src = ((y0 + h - 1 - y) * canvasWidth + x0) * 4;
      const dst = outOffset + y * w * 3;
      for (let x = 0; x < w; x++) {
        rgb[dst + 3 * x] = rgba[src + 4 * x];
        rgb[dst + 3 * x + 1] = rgba[src + 4 * x + 1];
        rgb[dst + 3 * x + 2] = rgba[src + 4 * x + 2];
      }
    }
  }

  function base64(bytes: Uint8Array): string {
    let binary = '';
    const chunk = 0x8000;
    for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + chunk) as unknown as number[]);
    return btoa(binary);
  }

  function readCanvas(): void {
    const gl = drawer.renderer.getContext();
    // Read in the same task as the draw: no preserveDrawingBuffer needed.
    gl.readPixels(0, 0, drawer.width, drawer.height, gl.RGBA, gl.UNSIGNED_BYTE, rgba);
  }

  const api: RenderPageApi = {
    setScene(description, w, h, background) {
      drawer.setScene(description, w, h, background);
      rgba = new Uint8Array(w * h * 4);
      rgb = new Uint8Array(w * h * 3);
    },
    render(poses, pose) {
      drawer.draw(poses, pose);
      readCanvas();
      copyTile(drawer.width, 0, 0, drawer.width, drawer.height, 0);
      return base64(rgb);
    },
    renderBatch(poses, cameras, tw, th, columns) {
      const n = poses.length;
      for (let i = 0; i < n; i++) {
        // Tile row 0 at the top of the canvas: GL y counts from the bottom.
        drawer.draw(poses[i], cameras[i], { x: (i % columns) * tw, y: drawer.height - (Math.floor(i / columns) + 1) * th, width: tw, height: th });
      }
      readCanvas();
      const out = rgb.length >= n * tw * th * 3 ? rgb.subarray(0, n * tw * th * 3) : (rgb = new Uint8Array(n * tw * th * 3));
      for (let i = 0; i < n; i++) copyTile(drawer.width, (i % columns) * tw, drawer.height - (Math.floor(i / columns) + 1) * th, tw, th, i * tw * th * 3);
      const deflated = new Response(new Blob([out]).stream().pipeThrough(new CompressionStream('deflate')));
      return deflated.arrayBuffer().then((b) => base64(new Uint8Array(b)));
    },
  };
  (window as unknown as { lamkitRender: RenderPageApi }).lamkitRender = api;
  return api;
}
