// rgb_array images: three.js in headless Chromium (playwright-core is imported lazily, on first render).
export { SceneRenderer } from './scene-renderer.js';
export type { RgbImage, CameraSpec, RenderSource, SceneRendererOptions } from './scene-renderer.js';
export { LazySceneRenderer } from './lazy-scene-renderer.js';
