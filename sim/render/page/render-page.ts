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
import { CAMERA_STRIDE, unpackCamera } from './batch-packing.js';

/** What the page exposes as `window.lamkitRender`. */
export interface RenderPageApi {
  /** The canvas becomes `width x height` pixels (a batched renderer passes the whole tile grid); `radialSegments`: see `GeometryDetail`. */
  setScene(description: SceneDescription, width: number, height: number, background: number, radialSegments?: number): void;
  /** `poses`: `[ngeom x 7]`; returns base64 of `Uint8Array [height x width x 3]`. */
  render(poses: number[], camera: CameraPose): string;
  /**
   * Draws `n` sub-envs into tiles of `tileWidth x tileHeight`, one draw per
   * geom per tile; tile i sits at column `(first + i) % columns`, row
   * `floor((first + i) / columns)` of the canvas, and only the rows of
   * tiles drawn are read back. A shard of a batch passes the whole batch's
   * grid and its first sub-env: each tile keeps the canvas position it has
   * in an unsharded batch, so its pixels are the same (SwiftShader's
   * rounding depends, rarely and by a unit or so, on where in the canvas a
   * tile lies).
   * `poses`: base64 of `Float32Array [n x ngeom x 7]`; `cameras`: base64 of
   * `Float64Array [n x CAMERA_STRIDE]` (batch-packing.ts). Packed arguments,
   * not arrays of numbers: Playwright serialises every number of an array
   * argument as an object, which cost more than the draw (docs/benchmarks.md,
   * "Batched rendering").
   * Returns base64 of the zlib stream (`CompressionStream('deflate')`) of
   * `Uint8Array [n x tileHeight x tileWidth x 3]`: the page-to-Node
   * transfer costs ~0.2 ms per KB under load, and rendered scenes
   * (flat table, background) deflate several times over.
   */
  renderBatch(poses: string, cameras: string, tileWidth: number, tileHeight: number, columns: number, first?: number): Promise<string>;
  /**
   * The last `renderBatch`, for benchmarks: milliseconds in the page by phase
   * (draw calls issued, `readPixels` (waits for the GPU process), copy +
   * deflate + base64), draw calls, triangles, and base64 characters returned.
   */
  lastBatch: { drawMs: number; readMs: number; packMs: number; drawCalls: number; triangles: number; bytesOut: number };
}

/** Bytes of a base64 string (browser side: `atob`). */
function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function installRenderPage(): RenderPageApi {
  const drawer = createSceneDrawer({ preserveDrawingBuffer: false, offscreen: true });
  let rgba = new Uint8Array(0);
  let rgb = new Uint8Array(0);
  /** `renderBatch` calls whose pixels the compression stream has not consumed yet. */
  let compressing = 0;

  /** Copies the `w x h` rectangle at GL (x0, y0) of `rgba` (canvas `canvasWidth` wide) into `into` at `outOffset`, rows flipped to top-to-bottom. */
  function copyTile(into: Uint8Array, canvasWidth: number, x0: number, y0: number, w: number, h: number, outOffset: number): void {
    for (let y = 0; y < h; y++) {
      const src = ((y0 + h - 1 - y) * canvasWidth + x0) * 4;
      const dst = outOffset + y * w * 3;
      for (let x = 0; x < w; x++) {
        into[dst + 3 * x] = rgba[src + 4 * x];
        into[dst + 3 * x + 1] = rgba[src + 4 * x + 1];
        into[dst + 3 * x + 2] = rgba[src + 4 * x + 2];
      }
    }
  }

  function base64(bytes: Uint8Array): string {
    let binary = '';
    const chunk = 0x8000;
    for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + chunk) as unknown as number[]);
    return btoa(binary);
  }

  /** Reads GL rows `[y0, y0 + rows)` of the canvas into `rgba` (at row y0 of it). */
  function readCanvas(y0 = 0, rows = drawer.height): void {
    const gl = drawer.renderer.getContext();
    // Read in the same task as the draw: no preserveDrawingBuffer needed.
    gl.readPixels(0, y0, drawer.width, rows, gl.RGBA, gl.UNSIGNED_BYTE, rgba.subarray(y0 * drawer.width * 4));
  }

  const api: RenderPageApi = {
    setScene(description, w, h, background, radialSegments) {
      drawer.setScene(description, w, h, background, radialSegments);
      rgba = new Uint8Array(w * h * 4);
      rgb = new Uint8Array(w * h * 3);
    },
    render(poses, pose) {
      drawer.draw(poses, pose);
      readCanvas();
      const out = compressing === 0 ? rgb : new Uint8Array(rgb.length);
      copyTile(out, drawer.width, 0, 0, drawer.width, drawer.height, 0);
      return base64(out);
    },
    renderBatch(posesB64, camerasB64, tw, th, columns, first = 0) {
      let t0 = performance.now();
      const poses = new Float32Array(fromBase64(posesB64).buffer);
      const cams = new Float64Array(fromBase64(camerasB64).buffer);
      const n = cams.length / CAMERA_STRIDE;
      const stride = poses.length / n;
      const camera: CameraPose = { posWorld: [0, 0, 0], xmat: new Array(9).fill(0), fovyDeg: 45 };
      let drawCalls = 0;
      let triangles = 0;
      // Tile row 0 at the top of the canvas: GL y counts from the bottom.
      const tileX = (i: number) => ((first + i) % columns) * tw;
      const tileY = (i: number) => drawer.height - (Math.floor((first + i) / columns) + 1) * th;
      for (let i = 0; i < n; i++) {
        unpackCamera(cams, i * CAMERA_STRIDE, camera);
        drawer.draw(poses.subarray(i * stride, (i + 1) * stride), camera, { x: tileX(i), y: tileY(i), width: tw, height: th });
        drawCalls += drawer.renderer.info.render.calls;
        triangles += drawer.renderer.info.render.triangles;
      }
      let t1 = performance.now();
      api.lastBatch.drawMs = t1 - t0;
      api.lastBatch.drawCalls = drawCalls;
      api.lastBatch.triangles = triangles;
      t0 = t1;
      // Only the rows holding this call's tiles (the last tile is lowest in GL).
      readCanvas(tileY(n - 1), tileY(0) + th - tileY(n - 1));
      t1 = performance.now();
      api.lastBatch.readMs = t1 - t0;
      t0 = t1;
      // The compression stream reads `out` after this returns: a call overlapping one still compressing gets its own buffer.
      const out = compressing === 0 && rgb.length >= n * tw * th * 3 ? rgb.subarray(0, n * tw * th * 3) : compressing === 0 ? (rgb = new Uint8Array(n * tw * th * 3)) : new Uint8Array(n * tw * th * 3);
      for (let i = 0; i < n; i++) copyTile(out, drawer.width, tileX(i), tileY(i), tw, th, i * tw * th * 3);
      // Written straight into the stream: a Blob of the pixels would be copied to the browser process and read back.
      const compression = new CompressionStream('deflate');
      const writer = compression.writable.getWriter();
      void writer.write(out);
      void writer.close();
      compressing++;
      return new Response(compression.readable).arrayBuffer().finally(() => compressing--).then((b) => {
        const text = base64(new Uint8Array(b));
        api.lastBatch.packMs = performance.now() - t0;
        api.lastBatch.bytesOut = text.length;
        return text;
      });
    },
    lastBatch: { drawMs: 0, readMs: 0, packMs: 0, drawCalls: 0, triangles: 0, bytesOut: 0 },
  };
  (window as unknown as { lamkitRender: RenderPageApi }).lamkitRender = api;
  return api;
}
