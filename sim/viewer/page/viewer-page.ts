/**
 * Browser side of `lamkit view`: connects to the viewer's WebSocket, builds
 * the three.js scene from the scene message, applies each binary pose frame
 * and draws with `WebGLRenderer`, with an orbit camera and a HUD (step,
 * reward, return, who acts). No bundler: the server only strips types, and
 * three.js comes through the page's import map.
 */
import { PerspectiveCamera, Raycaster, Vector2, Vector3, WebGLRenderer } from 'three';
import type { Scene } from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { MujocoScene } from '../../scene/mujoco-scene.js';
import { litScene } from '../../scene/lit-scene.js';
import { defaultFreeCamera } from '../../scene/camera-pose.js';
import { decodeViewerFrame, VIEWER_PROTOCOL_VERSION } from './viewer-protocol.js';
import type { ViewerFrameHeader, SceneMessage, ViewerCommand } from './viewer-protocol.js';

/** Live state of the page, readable by tests as `window.lamkitViewer`. */
export interface ViewerPageState {
  connected: boolean;
  sceneReceived: boolean;
  framesReceived: number;
  framesDrawn: number;
  last: ViewerFrameHeader | null;
  error: string | null;
  /**
   * Where geom `index`'s origin is drawn, in CSS pixels from the canvas's
   * top-left corner, and whether the geom itself is the first surface seen
   * there (not hidden behind another geom). For tests and overlays.
   */
  projectGeom(index: number): { x: number; y: number; visible: boolean } | null;
}

/** Starts the viewer in `container`, talking to `wsUrl`. */
export function startViewerPage(container: HTMLElement, hud: HTMLElement, wsUrl: string): ViewerPageState {
  const state: ViewerPageState = {
    connected: false,
    sceneReceived: false,
    framesReceived: 0,
    framesDrawn: 0,
    last: null,
    error: null,
    projectGeom: (index) => {
      const object = mujoco?.objects[index];
      if (!object || !scene) return null;
      scene.updateMatrixWorld();
      const ndc = object.getWorldPosition(new Vector3()).project(camera);
      const raycaster = new Raycaster();
      raycaster.setFromCamera(new Vector2(ndc.x, ndc.y), camera);
      const first = raycaster.intersectObjects(mujoco!.objects.filter((o) => o.visible), false)[0];
      return { x: ((ndc.x + 1) / 2) * container.clientWidth, y: ((1 - ndc.y) / 2) * container.clientHeight, visible: first?.object === object };
    },
  };
  (window as unknown as { lamkitViewer: ViewerPageState }).lamkitViewer = state;

  const renderer = new WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
  renderer.setPixelRatio(window.devicePixelRatio || 1);
  renderer.setSize(container.clientWidth, container.clientHeight);
  container.appendChild(renderer.domElement);
  const camera = new PerspectiveCamera(45, container.clientWidth / Math.max(1, container.clientHeight), 0.01, 100);
  const controls = new OrbitControls(camera, renderer.domElement);
  controls.enableDamping = true;

  let scene: Scene | null = null;
  let mujoco: MujocoScene | null = null;
  let title = '';
  let actorLabel = '';
  let instruction = '';
  let dirty = true;
  let paused = false;

  const ws = new WebSocket(wsUrl);
  ws.binaryType = 'arraybuffer';
  const send = (cmd: ViewerCommand) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(cmd));
  ws.onopen = () => {
    state.connected = true;
    drawHud();
  };
  ws.onclose = () => {
    state.connected = false;
    drawHud();
  };
  ws.onmessage = (event: MessageEvent) => {
    if (typeof event.data === 'string') {
      const msg = JSON.parse(event.data) as SceneMessage | { type: 'error'; message: string } | { type: 'instruction'; text: string };
      if (msg.type === 'error') {
        state.error = msg.message;
      } else if (msg.type === 'instruction') {
        instruction = msg.text;
      } else if (msg.type === 'scene') {
        if (msg.version !== VIEWER_PROTOCOL_VERSION) {
          state.error = `viewer protocol ${msg.version}, page speaks ${VIEWER_PROTOCOL_VERSION}: reload the page`;
        } else {
          setScene(msg);
        }
      }
      drawHud();
      return;
    }
    if (!mujoco) return;
    const { header, poses } = decodeViewerFrame(event.data as ArrayBuffer);
    mujoco.syncFromPoses(poses);
    state.framesReceived++;
    state.last = header;
    dirty = true;
  };

  function setScene(msg: SceneMessage): void {
    mujoco?.dispose();
    mujoco = new MujocoScene(msg.scene);
    scene = litScene(mujoco);
    title = msg.title;
    actorLabel = msg.actorLabel;
    state.sceneReceived = true;
    // Start where MuJoCo's default free camera would be; OrbitControls is Y-up: MuJoCo (x, y, z) -> (x, z, -y).
    const pose = defaultFreeCamera(msg.scene);
    const [cx, cy, cz] = msg.scene.center;
    camera.position.set(pose.posWorld[0], pose.posWorld[2], -pose.posWorld[1]);
    controls.target.copy(new Vector3(cx, cz, -cy));
    camera.fov = pose.fovyDeg;
    camera.near = msg.scene.extent / 100;
    camera.far = msg.scene.extent * 100;
    camera.updateProjectionMatrix();
    controls.update();
    dirty = true;
  }

  function drawHud(): void {
    const h = state.last;
    const status = state.error ? `error: ${state.error}` : state.connected ? (paused ? 'paused' : 'live') : 'disconnected';
    hud.querySelector('[data-k=title]')!.textContent = title || 'lamkit viewer';
    hud.querySelector('[data-k=actor]')!.textContent = actorLabel;
    const said = hud.querySelector<HTMLElement>('[data-k=instruction]');
    if (said) {
      said.textContent = instruction ? `“${instruction}”` : '';
      said.style.display = instruction ? '' : 'none';
    }
    hud.querySelector('[data-k=status]')!.textContent = status;
    hud.querySelector('[data-k=step]')!.textContent = h ? String(h.step) : '-';
    hud.querySelector('[data-k=reward]')!.textContent = h ? h.reward.toFixed(3) : '-';
    hud.querySelector('[data-k=return]')!.textContent = h ? h.episodeReturn.toFixed(2) : '-';
    hud.querySelector('[data-k=episode]')!.textContent = h ? String(h.episode) : '-';
  }

  hud.querySelector('[data-k=pause]')?.addEventListener('click', (ev) => {
    paused = !paused;
    (ev.target as HTMLButtonElement).textContent = paused ? 'Resume' : 'Pause';
    send({ type: 'pause', paused });
  });
  hud.querySelector('[data-k=reset]')?.addEventListener('click', () => send({ type: 'reset' }));

  window.addEventListener('resize', () => {
    camera.aspect = container.clientWidth / Math.max(1, container.clientHeight);
    camera.updateProjectionMatrix();
    renderer.setSize(container.clientWidth, container.clientHeight);
    dirty = true;
  });
  controls.addEventListener('change', () => {
    dirty = true;
  });

  let hudFrame = 0;
  const loop = () => {
    requestAnimationFrame(loop);
    controls.update();
    if (scene && dirty) {
      renderer.render(scene, camera);
      state.framesDrawn++;
      dirty = false;
    }
    if (++hudFrame % 6 === 0) drawHud();
  };
  drawHud();
  loop();
  return state;
}
