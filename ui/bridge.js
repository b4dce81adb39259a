// The only file that talks to Tauri: fetches the state, listens for updates, runs actions.
import { render } from './render.js';

const REDRAW_MS = 30_000;
const root = document.getElementById('panel');
const tauri = window.__TAURI__;

let state = null; // last state received
let receivedAt = Date.now(); // when it arrived, to age `age_secs` when `fetched_at` is missing
let error = null; // last invoke error, shown in the error line
let busy = false; // a refresh is under way
let gotEvent = false; // an event arrived: it is at least as new as the initial invoke

function message(e) {
  if (e && typeof e === 'object' && typeof e.message === 'string') return e.message;
  return typeof e === 'string' && e ? e : 'Something went wrong';
}

// The one bit of logic: how old the data is now, so "checked N min ago" stays true.
function withAge(s, now) {
  const service = s && typeof s === 'object' && s.service && typeof s.service === 'object' ? s.service : null;
  if (!service) return s;
  const fetched = typeof service.fetched_at === 'string' ? Date.parse(service.fetched_at) : NaN;
  let age = null;
  if (Number.isFinite(fetched)) age = Math.max(0, (now - fetched) / 1000);
  else if (Number.isFinite(service.age_secs)) age = service.age_secs + (now - receivedAt) / 1000;
  return { ...s, service: { ...service, age_secs: age } };
}

function invoke(cmd, args) {
  if (!tauri || !tauri.core) return Promise.reject({ code: 'no_tauri', message: 'Not running inside ccpulse' });
  try {
    return Promise.resolve(tauri.core.invoke(cmd, args));
  } catch (e) {
    return Promise.reject(e);
  }
}

function draw() {
  const now = Date.now();
  try {
    render(withAge(state, now), root, actions, { now, error, busy });
  } catch (e) {
    console.error('ccpulse: render failed', e);
  }
}

function fail(e) {
  error = message(e);
  draw();
}

function accept(next) {
  state = next;
  receivedAt = Date.now();
  error = null;
  draw();
}

const actions = {
  openUrl(url) {
    invoke('open_url', { url }).catch(fail);
  },
  refresh() {
    if (busy) return;
    busy = true;
    error = null;
    draw();
    invoke('refresh_now')
      .then(() => { busy = false; draw(); })
      .catch((e) => { busy = false; fail(e); });
  },
};

document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') invoke('close_panel').catch(fail);
});
window.addEventListener('focus', draw);
document.addEventListener('visibilitychange', () => { if (!document.hidden) draw(); });
setInterval(draw, REDRAW_MS);

draw(); // "checking status…" until the first state arrives

if (tauri && tauri.event) {
  Promise.resolve()
    .then(() => tauri.event.listen('ccpulse://state', (e) => { gotEvent = true; accept(e.payload); }))
    .catch(fail);
}
invoke('panel_state')
  .then((s) => { if (!gotEvent) accept(s); })
  .catch(fail);
