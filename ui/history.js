// The History tab: a pure layout of the `HistoryView` the panel process builds (every number,
// scale, label and shade level comes from the core). No Tauri: the toggles call
// `actions.historyDays(n)`; what the page itself remembers (metric, table shown) is `ui`.

import { barChart, heatmap, limitLines } from './charts.js';
import { el, str } from './dom.js';

const list = (v) => (Array.isArray(v) ? v.filter((x) => x && typeof x === 'object') : []);
const obj = (v) => (v && typeof v === 'object' && !Array.isArray(v) ? v : {});

function toggle(label, options, current, onPick, testid) {
  return el('div', { class: 'toggle', role: 'group', 'aria-label': label, testid },
    options.map(([value, text]) => el('button', {
      type: 'button',
      'aria-pressed': String(value === current),
      'data-value': value,
      onclick: () => onPick(value),
    }, text)));
}

function amount(a, metric) {
  const o = obj(a);
  return metric === 'tokens' ? str(o.tokens_label) : str(o.cost_label);
}

// A table of the same numbers as a chart: shown by the Table toggle, else kept for screen
// readers only.
function table(caption, head, rows, shown, testid) {
  return el('table', { class: shown ? 'data-table' : 'data-table visually-hidden', testid },
    el('caption', {}, caption),
    el('thead', {}, el('tr', {}, head.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows));
}

function legend(series) {
  return el('ul', { class: 'legend', 'aria-hidden': 'true' }, list(series).map((s) => el('li', {},
    el('span', { class: `swatch series-${Number(s.index) || 0}` }), str(s.label))));
}

function week(w, metric) {
  const v = obj(w);
  const change = obj(metric === 'tokens' ? v.tokens_change : v.cost_change);
  return el('section', { class: 'section history-week', 'aria-labelledby': 'history-week-title', testid: 'history-week' },
    el('h2', { class: 'section-title', id: 'history-week-title' }, 'This week'),
    el('div', { class: 'week-figures' },
      el('div', { class: 'figure' },
        el('div', { class: 'figure-label' }, str(v.this_label)),
        el('div', { class: 'figure-value', testid: 'history-week-this' }, amount(v.this_week, metric))),
      el('div', { class: 'figure' },
        el('div', { class: 'figure-label' }, str(v.last_label)),
        el('div', { class: 'figure-value', testid: 'history-week-last' }, amount(v.last_week, metric))),
      el('div', { class: 'figure change', 'data-direction': str(change.direction), testid: 'history-week-change' },
        el('div', { class: 'figure-label' }, 'Change'),
        el('div', { class: 'figure-value' }, str(change.label)))),
    el('p', { class: 'card-note' }, str(v.line)));
}

function limits(view, ui) {
  const windows = list(obj(view.limits).windows);
  if (!windows.length) return null;
  const dates = list(view.days).map((d) => d.date);
  return el('section', { class: 'section history-limits', 'aria-labelledby': 'history-limits-title', testid: 'history-limits' },
    el('h2', { class: 'section-title', id: 'history-limits-title' }, 'Plan limits over time'),
    limitLines(windows, dates),
    legend(windows.map((w, i) => ({ index: i % 6, label: w.label }))),
    table('Plan limits used per day', ['Window', 'Day', 'Used'],
      windows.flatMap((w) => list(w.points).map((p) => el('tr', {},
        el('th', { scope: 'row' }, str(w.label)), el('td', {}, str(p.date)), el('td', {}, str(p.label))))),
      ui.table, 'history-limits-table'));
}

/**
 * Lays out `view` (a HistoryView, or null while it is asked for) into `root`. `ui`: `{ days,
 * metric: 'cost'|'tokens', table: bool, error, busy }`.
 */
export function renderHistory(view, root, actions, ui) {
  const metric = ui.metric === 'tokens' ? 'tokens' : 'cost';
  const controls = el('div', { class: 'history-controls' },
    toggle('Days shown', [[30, '30 days'], [90, '90 days']], ui.days, (n) => actions.historyDays(n), 'history-days'),
    toggle('Measure', [['cost', 'Cost'], ['tokens', 'Tokens']], metric, (m) => actions.historyUi({ metric: m }), 'history-metric'),
    el('button', {
      type: 'button', class: 'table-toggle', 'aria-pressed': String(!!ui.table), testid: 'history-table-toggle',
      onclick: () => actions.historyUi({ table: !ui.table }),
    }, 'Table'));
  const children = [controls];
  if (ui.error) children.push(el('p', { class: 'setup-error', role: 'alert', testid: 'history-error' }, ui.error));
  if (!view || typeof view !== 'object') {
    children.push(el('p', { class: 'empty waiting', testid: 'history-waiting' }, 'Reading the transcripts…'));
    root.replaceChildren(...children);
    return;
  }
  const days = list(view.days);
  const readout = el('p', { class: 'readout', testid: 'history-readout', 'aria-live': 'polite' },
    'Point at a day, or focus the chart and use the arrow keys.');
  const show = (d) => { readout.textContent = str(d.description); };
  children.push(
    el('section', { class: 'section history-days', 'aria-labelledby': 'history-days-title', testid: 'history-days-chart' },
      el('h2', { class: 'section-title', id: 'history-days-title' }, str(view.title)),
      el('p', { class: 'history-summary', testid: 'history-summary' }, str(view.summary)),
      barChart(days, metric, metric === 'tokens' ? view.tokens_scale : view.cost_scale, show),
      legend(view.series),
      readout,
      table(`${str(view.title)}: cost and tokens per day`, ['Day', 'Cost', 'Tokens', 'By model'],
        days.map((d) => el('tr', {
          'data-date': str(d.date), 'data-cost': Number(obj(d.total).cost_usd) || 0, 'data-tokens': Number(obj(d.total).tokens) || 0,
        },
        el('th', { scope: 'row' }, str(d.label)),
        el('td', {}, str(obj(d.total).cost_label)),
        el('td', {}, str(obj(d.total).tokens_label)),
        el('td', {}, list(d.segments).map((s) => `${str(s.label)} ${metric === 'tokens' ? str(s.tokens_label) : str(s.cost_label)}`).join(', ')))),
        ui.table, 'history-table')),
    week(view.week, metric));
  const map = obj(view.heatmap);
  const hours = Array.isArray(map.hours) ? map.hours : [];
  children.push(el('section', { class: 'section history-heat', 'aria-labelledby': 'history-heat-title', testid: 'history-heatmap' },
    el('h2', { class: 'section-title', id: 'history-heat-title' }, 'When you use it'),
    el('p', { class: 'card-note' }, str(map.note)),
    heatmap(map, metric),
    table(`${metric === 'tokens' ? 'Tokens' : 'Cost'} per hour and weekday`, ['Day', ...hours],
      list(map.rows).map((r) => el('tr', {},
        el('th', { scope: 'row' }, str(r.label)),
        list(r.cells).map((c) => el('td', {}, metric === 'tokens' ? str(c.tokens_label) : str(c.cost_label))))),
      ui.table, 'history-heat-table')));
  const lim = limits(view, ui);
  if (lim) children.push(lim);
  root.replaceChildren(...children);
}
