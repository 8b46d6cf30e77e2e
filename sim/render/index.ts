// rgb_array images: three.js in headless Chromium (playwright-core is imported lazily, on first render).
export { SceneRenderer } from './scene-renderer.js';
export type { RgbImage, CameraSpec, RenderSource, SceneRendererOptions } from './scene-renderer.js';
export { LazySceneRenderer } from './lazy-scene-renderer.js';
// Videos: frames drawn and encoded (WebCodecs, MP4/WebM through mediabunny) inside headless Chromium.
export { SceneVideoEncoder } from './scene-video-encoder.js';
export type { SceneVideoEncoderOptions, EncodedVideo, VideoCodecName } from './scene-video-encoder.js';
export { SceneVideoCapture } from './scene-video-capture.js';
export type { SceneVideoCaptureOptions, SceneVideoClip } from './scene-video-capture.js';
// Many sub-envs' frames in one round trip (tiles of one canvas).
export { BatchedSceneRenderer } from './batched-scene-renderer.js';
export type { BatchedSceneRendererOptions, BatchStats } from './batched-scene-renderer.js';
export { worldsImageSource } from './worlds-image-source.js';
