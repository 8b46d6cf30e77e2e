import { IMPORT_MAP, LAMKIT_PREFIX } from './static-assets.js';

/** The viewer page (`GET /`): canvas, HUD, import map, and the module that starts it. */
export function viewerHtml(title: string): string {
  const safeTitle = title.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${safeTitle} - lamkit view</title>
<style>
  html, body { margin: 0; height: 100%; background: #1d2330; color: #e8ecf4; font: 13px/1.4 system-ui, sans-serif; overflow: hidden; }
  #view { position: absolute; inset: 0; }
  #hud { position: absolute; top: 10px; left: 10px; padding: 8px 12px; background: rgba(10, 14, 22, 0.75); border-radius: 6px; min-width: 220px; }
  #hud h1 { font-size: 15px; margin: 0 0 4px; }
  #hud .actor { color: #f0c674; margin-bottom: 6px; }
  #hud .instruction { color: #8be9fd; font-size: 16px; margin-bottom: 6px; max-width: 320px; }
  #hud table { border-collapse: collapse; }
  #hud td { padding: 1px 8px 1px 0; }
  #hud td + td { text-align: right; font-variant-numeric: tabular-nums; }
  #hud button { margin-top: 6px; margin-right: 4px; }
</style>
<script type="importmap">${IMPORT_MAP}</script>
</head>
<body>
<div id="view"></div>
<div id="hud">
  <h1 data-k="title"></h1>
  <div class="actor" data-k="actor"></div>
  <div class="instruction" data-k="instruction" style="display: none"></div>
  <table>
    <tr><td>status</td><td data-k="status"></td></tr>
    <tr><td>episode</td><td data-k="episode"></td></tr>
    <tr><td>step</td><td data-k="step"></td></tr>
    <tr><td>reward</td><td data-k="reward"></td></tr>
    <tr><td>return</td><td data-k="return"></td></tr>
  </table>
  <button data-k="pause">Pause</button><button data-k="reset">Reset</button>
</div>
<script type="module">
  import { startViewerPage } from '${LAMKIT_PREFIX}sim/viewer/page/viewer-page.js';
  const wsUrl = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';
  startViewerPage(document.getElementById('view'), document.getElementById('hud'), wsUrl);
</script>
</body>
</html>
`;
}
