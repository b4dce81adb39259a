// Pure rendering of the panel: state in, DOM out. No Tauri, no fetch, no timers.
// Texts from the network only ever reach the page through textContent.

import { el as h, str } from './dom.js';

const LEVEL_LABELS = {
  operational: 'Operational',
  maintenance: 'Maintenance',
  degraded: 'Degraded',
  outage: 'Outage',
  unknown: 'Unknown',
};


const IMPACT_TONE = {
  none: 'unknown',
  minor: 'degraded',
  major: 'outage',
  critical: 'outage',
  maintenance: 'maintenance',
};


const CLIP_CHARS = 280;
const CLIP_LINES = 6;

// ---- small, total helpers (nothing here may throw on odd input) ----

const obj = (v) => (v && typeof v === 'object' && !Array.isArray(v) ? v : {});
const list = (v) => (Array.isArray(v) ? v.filter((x) => x && typeof x === 'object') : []);
const known = (table, key, fallback) =>
  Object.prototype.hasOwnProperty.call(table, key) ? table[key] : fallback;

function time(v) {
  if (typeof v !== 'string' || !v) return null;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? new Date(ms) : null;
}

function isWebUrl(v) {
  return typeof v === 'string' && /^https?:\/\//i.test(v);
}

/** "just now", "5 min ago", "3 h ago", "2 days ago": the same words as the tray. */
export function describeAge(secs) {
  const s = Math.max(0, Math.floor(secs));
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.floor((s + 30) / 60)} min ago`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} days ago`;
}

function relative(date, now) {
  const secs = (now - date.getTime()) / 1000;
  if (secs >= -45) return describeAge(secs);
  return `in ${describeAge(-secs).replace(' ago', '')}`;
}

function clock(date, now) {
  const sameDay = new Date(now).toDateString() === date.toDateString();
  const opts = sameDay
    ? { hour: 'numeric', minute: '2-digit' }
    : { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' };
  if (date.getFullYear() !== new Date(now).getFullYear()) opts.year = 'numeric';
  return date.toLocaleString(undefined, opts);
}

function call(actions, name, ...args) {
  const fn = actions && actions[name];
  if (typeof fn === 'function') {
    try {
      fn(...args);
    } catch (e) {
      console.error(`ccpulse: action ${name} failed`, e);
    }
  }
}

// Stable: relevant items first, otherwise in the order given.
const relevantFirst = (items) => [
  ...items.filter((x) => x.relevant === true),
  ...items.filter((x) => x.relevant !== true),
];

function focusKey(el) {
  const card = el.closest('[data-incident-id], [data-maintenance-id], [data-advice-id]');
  const id = card ? card.dataset.incidentId ?? card.dataset.maintenanceId ?? card.dataset.adviceId : '';
  return { testid: el.dataset.testid, card: card ? `${card.dataset.testid}:${id}:${el.dataset.copy ?? ''}` : '' };
}

// ---- sections ----

function header(service, now) {
  const level = known(LEVEL_LABELS, service.level, null) ? service.level : 'unknown';
  const fetched = time(service.fetched_at);
  const age = Number.isFinite(service.age_secs) ? service.age_secs : fetched ? (now - fetched) / 1000 : null;
  const offline = service.stale === true || !!service.error;

  const top = h('div', { class: 'head-top' },
    h('span', { class: 'badge', testid: 'level-badge', data: { level } },
      h('span', { class: 'dot', 'aria-hidden': 'true' }), LEVEL_LABELS[level]),
    service.description ? h('span', { class: 'page-desc', testid: 'page-description' }, str(service.description)) : null);

  const summary = h('h1', { class: 'summary', testid: 'summary' }, str(service.summary) || 'Claude: checking status…');

  let freshness;
  if (offline) {
    freshness = h('div', { class: 'stale', testid: 'stale-notice', role: 'status' },
      h('p', { class: 'stale-title' },
        `${service.offline === true ? 'Offline' : 'Status page not answering'} — ${
          age == null ? 'no status received yet' : `showing what we knew ${describeAge(age)}`}`),
      service.error ? h('p', { class: 'stale-error', testid: 'service-error' }, str(service.error)) : null);
  } else {
    const words = age == null ? 'not checked yet' : `checked ${describeAge(age)}`;
    freshness = h('p', { class: 'checked', testid: 'checked', title: fetched ? fetched.toLocaleString() : null }, words);
  }
  return h('header', { class: 'head', testid: 'header' }, top, summary, freshness);
}

function pausedChip(pausedUntil, now) {
  if (pausedUntil == null || pausedUntil === false) return null;
  const until = time(pausedUntil);
  if (until && until.getTime() <= now) return null;
  const words = until ? `Paused notifications until ${clock(until, now)}` : 'Notifications paused';
  return h('p', { class: 'chip', testid: 'paused-chip' }, h('span', { class: 'chip-icon', 'aria-hidden': 'true' }), words);
}

function card(item, kind, now, actions, expanded) {
  const id = str(item.id);
  const fallback = kind === 'maintenance' ? 'maintenance' : 'none';
  const impact = known(IMPACT_TONE, item.impact, null) && item.impact !== 'none' ? item.impact : fallback;
  const status = str(item.status_label) || str(item.status) || 'Unknown';
  const update = obj(item.latest_update);
  const body = str(update.body).trim();
  const long = body.length > CLIP_CHARS || body.split('\n').length > CLIP_LINES;
  const isOpen = expanded.has(`${kind}:${id}`);

  const title = h('div', { class: 'card-head' },
    h('h3', { class: 'card-title', testid: `${kind}-name` }, str(item.name) || 'Untitled'),
    h('span', { class: 'status-label', testid: `${kind}-status`, title: `Impact: ${impact}` }, status));

  const notes = item.relevant === true ? null : h('p', { class: 'card-note' }, 'Not affecting the services you watch');

  let text = null;
  let more = null;
  if (body) {
    text = h('p', { class: long && !isOpen ? 'card-body clipped' : 'card-body', testid: `${kind}-update` }, body);
    if (long) {
      more = h('button', { type: 'button', class: 'link more', testid: `${kind}-more`, 'aria-expanded': String(isOpen) },
        isOpen ? 'less' : 'more');
      more.addEventListener('click', () => {
        const open = text.classList.toggle('clipped') === false;
        more.textContent = open ? 'less' : 'more';
        more.setAttribute('aria-expanded', String(open));
        article.dataset.expanded = String(open);
      });
    }
  }

  const when = [];
  const from = kind === 'maintenance' ? time(item.scheduled_for) : null;
  const to = kind === 'maintenance' ? time(item.scheduled_until) : null;
  const updated = time(update.created_at) || time(item.updated_at);
  if (from) {
    // A window, e.g. "Mar 5, 10:00 AM – 12:00 PM · starts in 2 days".
    const end = to ? (to.toDateString() === from.toDateString() ? clock(to, from.getTime()) : clock(to, now)) : null;
    when.push(end ? `${clock(from, now)} – ${end}` : `from ${clock(from, now)}`);
    if (from.getTime() > now) when.push(`starts ${relative(from, now)}`);
    else if (to && to.getTime() > now) when.push(`ends ${relative(to, now)}`);
  } else if (updated) {
    when.push(`updated ${clock(updated, now)} · ${relative(updated, now)}`);
  }
  const stamp = when.length
    ? h('time', { class: 'card-time', datetime: (from || updated).toISOString(), title: (from || updated).toLocaleString() }, when.join(' · '))
    : h('span', { class: 'card-time' });

  const link = isWebUrl(item.url)
    ? h('button', { type: 'button', class: 'link', testid: `${kind}-details`, onclick: () => call(actions, 'openUrl', item.url) }, 'Details')
    : null;

  const attrs = { class: 'card', testid: kind, data: { impact, relevant: String(item.relevant === true), expanded: String(isOpen) } };
  attrs.data[kind === 'incident' ? 'incidentId' : 'maintenanceId'] = id;
  const article = h('article', attrs, title, notes, text, more, h('div', { class: 'card-foot' }, stamp, link));
  return article;
}

function section(name, testid, count, ...content) {
  return h('section', { class: 'section', testid },
    h('h2', { class: 'section-title' }, name, count ? h('span', { class: 'count' }, String(count)) : null),
    ...content);
}

function components(items) {
  if (!items.length) return h('p', { class: 'empty' }, 'No component data yet');
  return h('ul', { class: 'components', testid: 'components' },
    relevantFirst(items).map((c) => {
      const label = str(c.label) || 'Unknown';
      const tone = known(LEVEL_LABELS, c.level, null) ? c.level : 'unknown';
      const relevant = c.relevant === true;
      return h('li', { class: relevant ? 'comp relevant' : 'comp', testid: 'component',
        data: { componentId: str(c.id), status: str(c.status) || 'unknown', tone, relevant: String(relevant) } },
      h('span', { class: 'dot', 'aria-hidden': 'true' }),
      h('span', { class: 'comp-name', testid: 'component-name' }, str(c.name) || str(c.id)),
      relevant ? h('span', { class: 'tag', title: 'ccpulse watches this component' }, 'watched') : null,
      h('span', { class: 'comp-status', testid: 'component-status' }, label));
    }));
}

/** "2h 13m", "3d 4h", "45m", "<1m", "now": the same words as the tray. */
export function countdown(at, now) {
  const secs = Math.floor((at.getTime() - now) / 1000);
  if (secs <= 0) return 'now';
  const mins = Math.floor(secs / 60);
  const [d, hrs, m] = [Math.floor(mins / 1440), Math.floor(mins / 60) % 24, mins % 60];
  if (d > 0) return `${d}d ${hrs}h`;
  if (hrs > 0) return `${hrs}h ${m}m`;
  return m > 0 ? `${m}m` : '<1m';
}

function gauge(r, now) {
  const used = Number.isFinite(r.used_percent) ? r.used_percent : 0;
  // The colour the core chose from the notification thresholds.
  const tone = known(LEVEL_LABELS, r.tone, null) ? r.tone : 'unknown';
  const resetsAt = time(r.resets_at);
  const asOf = time(r.as_of);
  const label = str(r.label) || str(r.id);
  const reset = resetsAt && r.resets
    ? `resets ${str(r.resets)} · in ${countdown(resetsAt, now)}`
    : 'reset time not known yet';
  const age = asOf ? describeAge((now - asOf.getTime()) / 1000) : str(r.age);
  return h('li', { class: 'gauge', testid: 'limit', data: { limitId: str(r.id), tone } },
    h('div', { class: 'gauge-head' },
      h('span', { class: 'gauge-label', testid: 'limit-label' }, label),
      h('span', { class: 'gauge-pct', testid: 'limit-percent' }, `${Math.round(used)}%`)),
    h('progress', { class: 'bar', max: '100', value: String(Math.min(100, Math.max(0, used))), 'aria-label': `${label} used` }),
    // A spend limit's amounts, as the core words them ("$42.50 of $50.00").
    r.amount ? h('div', { class: 'gauge-amount dim', testid: 'limit-amount' }, str(r.amount)) : null,
    h('div', { class: 'gauge-foot' },
      h('span', { testid: 'limit-reset', title: resetsAt ? resetsAt.toLocaleString() : null }, reset),
      h('span', { class: 'gauge-source', testid: 'limit-source' }, `${str(r.source_label) || str(r.source)}, ${age}`)));
}

function overload(top) {
  const o = obj(top.overload);
  const line = o.line;
  const chart = str(o.chart);
  if (o.shown !== true) return null;
  const incident = obj(o.incident);
  return section('Overload', 'overload-section', 0,
    h('p', { class: line ? 'overload-line active' : 'overload-line', testid: 'overload-line' }, line ? str(line) : 'Calm'),
    h('p', { class: 'overload-chart', testid: 'overload-chart', title: 'Overload errors per minute, last hour' }, chart),
    isWebUrl(incident.url) ? h('p', { class: 'limit-note dim' }, str(incident.name)) : null);
}

// ---- what to do now, activity, the reference ----


function copyButton(text, actions, ui) {
  const copied = ui.copied === text;
  return h('button', { type: 'button', class: copied ? 'copy copied' : 'copy', testid: 'copy',
    'aria-label': `Copy ${text}`, data: { copy: text }, onclick: () => call(actions, 'copy', text) },
  copied ? 'Copied' : 'Copy');
}

function commands(items, actions, ui) {
  return h('ul', { class: 'cmds' }, items.map(([command, does]) =>
    h('li', { class: 'cmd', testid: 'step' },
      h('code', { class: 'cmd-text', testid: 'step-command' }, command),
      does ? h('span', { class: 'cmd-does' }, does) : null,
      copyButton(command, actions, ui))));
}

function todo(advice, calm, actions, ui) {
  const items = list(advice);
  if (!items.length) {
    return section('What to do now', 'advice-section', 0,
      h('p', { class: 'empty', testid: 'no-advice' },
        calm ? 'Nothing: Claude is up and your limits have room.' : 'Nothing known yet.'));
  }
  return section('What to do now', 'advice-section', items.length, items.map((a) =>
    h('article', { class: 'card advice', testid: 'advice',
      data: { adviceId: str(a.id), tone: known(LEVEL_LABELS, a.level, null) ? a.level : 'unknown', entry: str(a.entry) } },
    h('h3', { class: 'card-title', testid: 'advice-title' }, str(a.title)),
    a.detail ? h('p', { class: 'card-body', testid: 'advice-detail' }, str(a.detail)) : null,
    commands(list(a.steps).map((s) => [str(s.command), str(s.does)]), actions, ui),
    a.entry
      ? h('button', { type: 'button', class: 'link', testid: 'advice-more', onclick: () => call(actions, 'showEntry', str(a.entry)) },
        `More: ${str(a.entry_title) || str(a.entry)}`)
      : null)));
}

function activitySection(a, top) {
  const act = obj(a);
  const chart = str(obj(top.overload).chart);
  return section('Activity', 'activity-section', 0,
    h('p', { class: 'stat', testid: 'activity-today' }, str(act.today) || 'Today: reading transcripts…'),
    act.burn ? h('p', { class: 'stat', testid: 'activity-burn' }, str(act.burn)) : null,
    act.errors ? h('p', { class: 'stat', testid: 'activity-errors' }, str(act.errors)) : null,
    chart ? h('p', { class: 'overload-chart dim', testid: 'activity-chart', title: 'Overload errors per minute, last hour' }, chart) : null);
}

/**
 * The reference's search results into `root`: `entries` as `kb::search` returned them, `open`
 * the id to show unfolded (a single result is unfolded too).
 */
export function renderReference(entries, root, actions, ui) {
  const opts = obj(ui);
  const items = list(entries);
  // Entries the user unfolded stay unfolded across re-renders (a new state redraws the page).
  const unfolded = new Set([...root.querySelectorAll('details[open]')].map((d) => d.dataset.entryId));
  root.replaceChildren(...(items.length ? items : [null]).map((e) => {
    if (!e) return h('p', { class: 'empty', testid: 'reference-none' }, 'No entry matches. Try fewer words, or paste the whole message.');
    const id = str(e.id);
    const env = list(e.env);
    const links = Array.isArray(e.links) ? e.links.filter(isWebUrl) : [];
    const quota = e.counts_against_quota === true ? 'These failures count against your plan.'
      : e.counts_against_quota === false ? 'These failures do not count against your plan.' : null;
    return h('details', { class: 'card entry', testid: 'entry', data: { entryId: id }, open: opts.open === id || items.length === 1 || unfolded.has(id) },
      h('summary', { class: 'entry-title', testid: 'entry-title' }, str(e.title) || id),
      h('p', { class: 'card-body', testid: 'entry-cause' }, str(e.cause)),
      Array.isArray(e.fix) && e.fix.length ? h('ol', { class: 'fix', testid: 'entry-fix' }, e.fix.map((f) => h('li', {}, str(f)))) : null,
      Array.isArray(e.commands) && e.commands.length ? commands(e.commands.map((c) => [str(c), '']), actions, opts) : null,
      env.length ? h('ul', { class: 'env', testid: 'entry-env' }, env.map((v) =>
        h('li', {}, h('code', {}, str(v.name)), v.default != null ? ` (default ${str(v.default)})` : '', `: ${str(v.note)}`))) : null,
      quota ? h('p', { class: 'card-note', testid: 'entry-quota' }, quota) : null,
      links.length ? h('div', { class: 'card-foot' }, links.map((u) =>
        h('button', { type: 'button', class: 'link', onclick: () => call(actions, 'openUrl', u) }, u.replace(/^https?:\/\//, '')))) : null);
  }));
}

function limits(l, now) {
  const rows = list(l.rows);
  const errors = Array.isArray(l.errors) ? l.errors.map(str) : [];
  const content = rows.length
    ? [h('ul', { class: 'gauges', testid: 'limits' }, rows.map((r) => gauge(r, now)))]
    : [h('p', { class: 'empty', testid: 'no-limits' },
      'Not known yet. Run `ccpulse statusline install` so Claude Code reports them.')];
  if (l.projection_line) content.push(h('p', { class: 'limit-note', testid: 'limit-projection' }, str(l.projection_line)));
  if (l.extra_usage_line) content.push(h('p', { class: 'limit-note', testid: 'extra-usage' }, str(l.extra_usage_line)));
  for (const e of errors) content.push(h('p', { class: 'limit-error', testid: 'limit-error' }, e));
  return section('Plan limits', 'limits-section', 0, ...content);
}

function footer(service, actions, ui) {
  const page = isWebUrl(service.page_url) ? service.page_url : null;
  return h('footer', { class: 'foot' },
    ui.error ? h('p', { class: 'error-line', testid: 'error-line', role: 'alert' }, str(ui.error)) : null,
    h('div', { class: 'buttons' },
      h('button', { type: 'button', testid: 'open-status-page', disabled: !page, onclick: () => page && call(actions, 'openUrl', page) }, 'Open status page'),
      h('button', { type: 'button', class: 'primary', testid: 'refresh', disabled: ui.busy === true, onclick: () => call(actions, 'refresh') },
        ui.busy === true ? 'Refreshing…' : 'Refresh')));
}

/**
 * Build the panel for `state` into `root`, replacing its children.
 * `actions`: { openUrl(url), refresh(), copy(text), showEntry(id) }.
 * `ui` (optional): { now: ms since epoch for relative times, error: a line to show, busy: refresh
 * under way, copied: the text last copied, to say so on its button }.
 */
export function render(state, root, actions, ui) {
  const opts = obj(ui);
  const now = Number.isFinite(opts.now) ? opts.now : Date.now();
  const top = obj(state);
  const service = obj(top.service);
  const level = known(LEVEL_LABELS, service.level, null) ? service.level : 'unknown';

  // Keep "more" toggles open across re-renders.
  const expanded = new Set();
  for (const el of root.querySelectorAll('[data-expanded="true"]')) {
    expanded.add(el.dataset.incidentId != null ? `incident:${el.dataset.incidentId}` : `maintenance:${el.dataset.maintenanceId}`);
  }

  // Keep keyboard focus on the same control (re-renders happen every 30 s).
  const active = root.ownerDocument && root.ownerDocument.activeElement;
  const focus = active && active !== root && root.contains(active) && active.dataset.testid ? focusKey(active) : null;

  const incidents = relevantFirst(list(service.incidents));
  const maintenances = relevantFirst(list(service.maintenances));

  const noData = service.fetched_at == null && !incidents.length && !list(service.components).length;
  const parts = noData ? [
    header(service, now),
    pausedChip(top.paused_until, now),
    h('p', { class: 'empty waiting', testid: 'no-data' }, 'No status data yet'),
    todo(top.advice, false, actions, opts),
    limits(obj(top.limits), now),
    activitySection(top.activity, top),
    footer(service, actions, opts),
  ] : [
    header(service, now),
    pausedChip(top.paused_until, now),
    todo(top.advice, level === 'operational' && service.stale !== true, actions, opts),
    overload(top),
    limits(obj(top.limits), now),
    activitySection(top.activity, top),
    section('Open incidents', 'incidents', incidents.length,
      incidents.length
        ? incidents.map((i) => card(i, 'incident', now, actions, expanded))
        : h('p', { class: 'empty', testid: 'no-incidents' }, 'No open incidents')),
    maintenances.length
      ? section('Maintenance', 'maintenances', maintenances.length, maintenances.map((m) => card(m, 'maintenance', now, actions, expanded)))
      : null,
    section('Components', 'components-section', 0, components(list(service.components))),
    footer(service, actions, opts),
  ];
  root.replaceChildren(...parts.filter(Boolean));
  if (focus) {
    const again = [...root.querySelectorAll(`[data-testid="${focus.testid}"]`)].find((el) => focusKey(el).card === focus.card);
    if (again && !again.disabled) again.focus();
  }
  root.dataset.level = level;
  if (root.ownerDocument && root.ownerDocument.body) root.ownerDocument.body.dataset.level = level;
}
