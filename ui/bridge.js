// The only file that talks to Tauri: fetches the state, listens for updates, runs actions.
import { render, renderReference } from './render.js';
import { renderSetup } from './setup.js';

const REDRAW_MS = 30_000;
const COPIED_MS = 1_500;
const root = document.getElementById('panel');
const TAB_NAMES = ['status', 'reference', 'setup'];
const tabs = Object.fromEntries(TAB_NAMES.map((n) => [n, document.getElementById(`tab-${n}`)]));
const views = { status: root, reference: document.getElementById('reference'), setup: document.getElementById('setup') };
const search = document.getElementById('search');
const results = document.getElementById('reference-results');
const resultCount = document.getElementById('reference-count');
const tauri = window.__TAURI__;

let state = null; // last state received
let receivedAt = Date.now(); // when it arrived, to age `age_secs` when `fetched_at` is missing
let error = null; // last invoke error, shown in the error line
let busy = false; // a refresh is under way
let gotEvent = false; // an event arrived: it is at least as new as the initial invoke
let copied = null; // the text last copied, said on its button for a moment
let copiedTimer = null;
let entries = []; // the reference's last search results
let openEntry = null; // the entry to show unfolded
let searchSeq = 0; // answers to older searches are dropped
let setup = null; // the set-up page's last SetupView
const setupUi = { busy: false, error: null, said: null };
let setupDrawn = null; // what the set-up page shows now, to redraw only a change

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
    render(withAge(state, now), root, actions, { now, error, busy, copied });
    renderReference(entries, results, actions, { copied, open: openEntry });
    // Redrawn only when it changed: a button replaced under the pointer loses its click.
    const setupNow = JSON.stringify([setup, setupUi]);
    if (setupNow !== setupDrawn) {
      setupDrawn = setupNow;
      renderSetup(setup, views.setup, actions, setupUi);
    }
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

function lookAtSetup() {
  return invoke('setup_state')
    .then((v) => { setup = v; draw(); })
    .catch((e) => { setupUi.error = message(e); draw(); });
}

function showTab(name) {
  if (!tabs[name]) return;
  if (name === 'setup') lookAtSetup();
  for (const [key, tab] of Object.entries(tabs)) {
    const on = key === name;
    tab.setAttribute('aria-selected', String(on));
    tab.tabIndex = on ? 0 : -1;
    views[key].hidden = !on;
  }
}

function find(query) {
  const seq = ++searchSeq;
  invoke('reference', { query })
    .then((found) => {
      if (seq !== searchSeq) return;
      entries = Array.isArray(found) ? found : [];
      resultCount.textContent = query.trim()
        ? `${entries.length} ${entries.length === 1 ? 'entry' : 'entries'} for “${query.trim()}”`
        : `All ${entries.length} entries`;
      draw();
    })
    .catch(fail);
}

const actions = {
  copy(text) {
    invoke('copy_text', { text })
      .then(() => {
        copied = text;
        clearTimeout(copiedTimer);
        copiedTimer = setTimeout(() => { copied = null; draw(); }, COPIED_MS);
        draw();
      })
      .catch(fail);
  },
  showEntry(id) {
    openEntry = id;
    search.value = id;
    showTab('reference');
    find(id);
    tabs.reference.focus();
  },
  openUrl(url) {
    invoke('open_url', { url }).catch(fail);
  },
  setup(id) {
    if (setupUi.busy) return;
    Object.assign(setupUi, { busy: true, error: null, said: null });
    draw();
    invoke('setup_action', { action: id })
      .then((said) => { setupUi.said = said || null; })
      .catch((e) => { setupUi.error = message(e); })
      .then(() => { setupUi.busy = false; return lookAtSetup(); });
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
  else if (e.key === '/' && document.activeElement !== search) {
    e.preventDefault();
    showTab('reference');
    search.focus();
  }
});
for (const [name, tab] of Object.entries(tabs)) {
  tab.addEventListener('click', () => showTab(name));
  // Left and right arrows move between the tabs, as in any tab list.
  tab.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    const step = e.key === 'ArrowRight' ? 1 : TAB_NAMES.length - 1;
    const other = TAB_NAMES[(TAB_NAMES.indexOf(name) + step) % TAB_NAMES.length];
    showTab(other);
    tabs[other].focus();
  });
}
search.addEventListener('input', () => { openEntry = null; find(search.value); });
window.addEventListener('focus', draw);
document.addEventListener('visibilitychange', () => { if (!document.hidden) draw(); });
setInterval(draw, REDRAW_MS);

draw(); // "checking status…" until the first state arrives

// Listen first, then ask: a state the tray sent before the listener was in place is the one
// `panel_state` returns (the panel keeps the latest before it emits it).
const listening = tauri && tauri.event
  ? Promise.resolve()
    .then(() => tauri.event.listen('ccpulse://state', (e) => { gotEvent = true; accept(e.payload); }))
    .then(() => tauri.event.listen('ccpulse://tab', (e) => showTab(e.payload)))
    .then(() => tauri.event.listen('ccpulse://setup', () => { if (!views.setup.hidden) lookAtSetup(); }))
    .catch(fail)
  : Promise.resolve();
find('');
listening
  .then(() => invoke('panel_state'))
  .then((s) => { if (!gotEvent) accept(s); })
  .then(() => invoke('panel_tab'))
  .then((tab) => { if (tab) showTab(tab); })
  .catch(fail);
