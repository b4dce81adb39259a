// The only file that talks to Tauri: fetches the state, listens for updates, runs actions.
import { render, renderReference } from './render.js';
import { renderSetup } from './setup.js';
import { renderSettings } from './settings.js';
import { renderHistory } from './history.js';

const REDRAW_MS = 30_000;
const COPIED_MS = 1_500;
const root = document.getElementById('panel');
// Every tab in the tab list (`data-tab` names it, `aria-controls` its panel): a tab is one
// button in index.html and its panel, plus, if it has one, its `shown` hook below.
const tabList = [...document.querySelectorAll('.tabs [role=tab]')];
const tabs = Object.fromEntries(tabList.map((t) => [t.dataset.tab, t]));
const views = Object.fromEntries(tabList.map((t) => [t.dataset.tab, document.getElementById(t.getAttribute('aria-controls'))]));
const settingsRoot = document.getElementById('settings-form');
const settingsDesktop = document.getElementById('settings-desktop');
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
let settings = null; // settings_read's last answer
let settingsUi = { errors: {}, drafts: {}, saved: null, error: null };
let settingsSeq = 0; // answers to older reads and writes are dropped
let componentsShown = null; // the component list the settings page was drawn with (JSON)
let setup = null; // the set-up page's last SetupView
const setupUi = { busy: false, error: null, said: null };
let setupDrawn = null; // what the set-up page shows now, to redraw only a change
let history = null; // history_state's last answer
const historyUi = { days: 30, metric: 'cost', table: false, error: null };
let historySeq = 0; // answers to older asks (another number of days) are dropped

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

function liveComponents() {
  const service = state && typeof state === 'object' && state.service && typeof state.service === 'object' ? state.service : {};
  return Array.isArray(service.components) ? service.components : [];
}

// Redrawn only when what it shows changed: a redraw while typing would lose nothing (drafts
// are kept), but it would be wasted work every 30 s.
function drawSettings() {
  if (!settingsRoot) return;
  const components = liveComponents();
  componentsShown = JSON.stringify(components.map((c) => [c && c.id, c && c.name]));
  try {
    renderSettings(settings, settingsRoot, settingsActions, { ...settingsUi, components });
  } catch (e) {
    console.error('ccpulse: settings render failed', e);
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
      renderSetup(setup, settingsDesktop, actions, setupUi, ['autostart', 'statusline']);
    }
  } catch (e) {
    console.error('ccpulse: render failed', e);
  }
  const components = liveComponents();
  if (JSON.stringify(components.map((c) => [c && c.id, c && c.name])) !== componentsShown) drawSettings();
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
function drawHistory() {
  try {
    renderHistory(history, views.history, historyActions, historyUi);
  } catch (e) {
    console.error('ccpulse: history render failed', e);
  }
}

// Asked each time the tab is shown: the index brings in only what was appended since.
function loadHistory() {
  const seq = ++historySeq;
  const days = historyUi.days;
  if (!history) drawHistory();
  return invoke('history_state', { days })
    .then((v) => {
      if (seq !== historySeq) return;
      history = v;
      historyUi.error = null;
      drawHistory();
    })
    .catch((e) => {
      if (seq !== historySeq) return;
      historyUi.error = message(e);
      drawHistory();
    });
}

const historyActions = {
  historyDays(n) {
    if (n === historyUi.days) return;
    historyUi.days = n;
    loadHistory();
  },
  historyUi(change) {
    Object.assign(historyUi, change);
    drawHistory();
  },
};

// What a tab does when it is shown, beyond showing its panel.
const shownHooks = {
  history: () => loadHistory(),
  settings: () => { loadSettings(); lookAtSetup(); },
  setup: () => lookAtSetup(),
};

function showTab(name) {
  if (!tabs[name]) return;
  for (const [key, tab] of Object.entries(tabs)) {
    const on = key === name;
    tab.setAttribute('aria-selected', String(on));
    tab.tabIndex = on ? 0 : -1;
    if (views[key]) views[key].hidden = !on;
  }
  if (shownHooks[name]) shownHooks[name]();
}

// ---- settings: read, write and reset through the panel process ----

// A field's outcome (saved, or refused with why) always lands; the settings themselves only
// from the latest read or write.
function settingsAnswer(seq, done) {
  return (next) => {
    if (done) done();
    if (seq === settingsSeq) {
      settings = next;
      settingsUi.error = null;
    }
    drawSettings();
  };
}

function settingsFailed(seq, key) {
  return (e) => {
    if (key && e && e.code === 'invalid') {
      const at = typeof e.key === 'string' && e.key && e.key !== key ? `${e.key}: ` : '';
      settingsUi.errors = { ...settingsUi.errors, [key]: `${at}${message(e)}` };
      if (settingsUi.saved === key) settingsUi.saved = null;
    } else if (seq === settingsSeq || key) {
      settingsUi.error = message(e);
    }
    drawSettings();
  };
}

function loadSettings() {
  // Typed text not saved yet stays; what is shown otherwise is the file as it is now.
  const seq = ++settingsSeq;
  invoke('settings_read').then(settingsAnswer(seq)).catch(settingsFailed(seq));
}

function settled(key) {
  const { [key]: _e, ...errors } = settingsUi.errors;
  const { [key]: _d, ...drafts } = settingsUi.drafts;
  settingsUi = { ...settingsUi, errors, drafts, saved: key };
}

const settingsActions = {
  write(key, value) {
    const seq = ++settingsSeq;
    invoke('settings_write', { key, value })
      .then(settingsAnswer(seq, () => settled(key)))
      .catch(settingsFailed(seq, key));
  },
  reset(key) {
    const seq = ++settingsSeq;
    invoke('settings_reset', { key })
      .then(settingsAnswer(seq, () => settled(key)))
      .catch(settingsFailed(seq, key));
  },
  draft(key, text) {
    settingsUi.drafts[key] = text;
    if (settingsUi.saved === key) settingsUi.saved = null;
  },
};

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
  else if (e.key === '/' && !isField(document.activeElement)) {
    e.preventDefault();
    showTab('reference');
    search.focus();
  }
});
function isField(node) {
  return !!node && (node.tagName === 'INPUT' || node.tagName === 'SELECT' || node.tagName === 'TEXTAREA');
}

tabList.forEach((tab, i) => {
  tab.addEventListener('click', () => showTab(tab.dataset.tab));
  // Arrows move between the tabs (round), Home and End to the first and last, as in any tab list.
  tab.addEventListener('keydown', (e) => {
    const n = tabList.length;
    const to = { ArrowLeft: (i + n - 1) % n, ArrowRight: (i + 1) % n, Home: 0, End: n - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    showTab(tabList[to].dataset.tab);
    tabList[to].focus();
  });
});
search.addEventListener('input', () => { openEntry = null; find(search.value); });
window.addEventListener('focus', () => {
  draw();
  // The file may have been edited meanwhile.
  if (settingsRoot && !settingsRoot.hidden) loadSettings();
});
document.addEventListener('visibilitychange', () => { if (!document.hidden) draw(); });
setInterval(draw, REDRAW_MS);

draw(); // "checking status…" until the first state arrives

// Listen first, then ask: a state the tray sent before the listener was in place is the one
// `panel_state` returns (the panel keeps the latest before it emits it).
const listening = tauri && tauri.event
  ? Promise.resolve()
    .then(() => tauri.event.listen('ccpulse://state', (e) => { gotEvent = true; accept(e.payload); }))
    .then(() => tauri.event.listen('ccpulse://tab', (e) => showTab(e.payload)))
    .then(() => tauri.event.listen('ccpulse://setup', () => { if (!views.setup.hidden || !views.settings.hidden) lookAtSetup(); }))
    .catch(fail)
  : Promise.resolve();
find('');
loadSettings();
listening
  .then(() => invoke('panel_state'))
  .then((s) => { if (!gotEvent) accept(s); })
  .then(() => invoke('panel_tab'))
  .then((tab) => { if (tab) showTab(tab); })
  .catch(fail);
