// SVG charts, drawn from numbers the core computed (scales, labels, levels come with them): no
// library, nothing fetched, no inline styles (colours are classes in history.css). Pure: data in,
// nodes out; no Tauri.

import { str } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';
const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const list = (v) => (Array.isArray(v) ? v.filter((x) => x && typeof x === 'object') : []);

export function svg(tag, attrs, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    node.setAttribute(k, v === true ? '' : str(v));
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return node;
}

const W = 380;
const H = 170;
const LEFT = 46; // room for the scale's labels
const BOTTOM = 18; // room for the axis' labels
const TOP = 6;

/**
 * Stacked bars, one per day: `days` (the view's), `metric` ('cost' or 'tokens'), `scale` (the
 * view's `cost_scale` or `tokens_scale`). Each bar is a focusable group (roving tabindex:
 * arrows move between days) with its day's description as its label; `onShow(day)` is called
 * when one is hovered or focused.
 */
export function barChart(days, metric, scale, onShow) {
  const all = list(days);
  const max = num(scale && scale.max) || 1;
  const plotH = H - TOP - BOTTOM;
  const plotW = W - LEFT - 4;
  const step = plotW / Math.max(1, all.length);
  const barW = Math.max(1, step * 0.78);
  const y = (v) => TOP + plotH - (num(v) / max) * plotH;
  const grid = list(scale && scale.ticks).map((t) => svg('g', { class: 'tick' },
    svg('line', { x1: LEFT, x2: W - 2, y1: y(t.value), y2: y(t.value) }),
    svg('text', { x: LEFT - 5, y: y(t.value) + 3.5, 'text-anchor': 'end' }, str(t.label))));
  const value = (o) => (metric === 'tokens' ? num(o.tokens) : num(o.cost_usd));
  const bars = all.map((d, i) => {
    const total = d.total || {};
    const x = LEFT + i * step + (step - barW) / 2;
    let base = 0;
    const segments = list(d.segments).map((s) => {
      const v = value(s);
      const top = y(base + v);
      const rect = svg('rect', {
        class: `seg series-${num(s.series)}`,
        x: x.toFixed(2),
        y: top.toFixed(2),
        width: barW.toFixed(2),
        height: Math.max(0, y(base) - top).toFixed(2),
        'data-model': str(s.label),
        'data-cost': num(s.cost_usd),
        'data-tokens': num(s.tokens),
      });
      base += v;
      return rect;
    });
    const g = svg('g', {
      class: d.today ? 'bar today' : 'bar',
      role: 'img',
      tabindex: i === all.length - 1 ? 0 : -1,
      'aria-label': str(d.description),
      'data-testid': 'history-bar',
      'data-date': str(d.date),
      'data-cost': num(total.cost_usd),
      'data-tokens': num(total.tokens),
    },
    // The whole column answers the pointer, however short the bar.
    svg('rect', { class: 'hit', x: (LEFT + i * step).toFixed(2), y: TOP, width: step.toFixed(2), height: plotH }),
    segments,
    svg('title', {}, str(d.description)));
    g.addEventListener('mouseenter', () => onShow(d, g));
    g.addEventListener('focus', () => onShow(d, g));
    g.addEventListener('keydown', (e) => {
      const to = { ArrowLeft: i - 1, ArrowRight: i + 1, Home: 0, End: all.length - 1 }[e.key];
      if (to === undefined || to < 0 || to >= all.length) return;
      e.preventDefault();
      const next = g.parentNode.children[to];
      g.tabIndex = -1;
      next.tabIndex = 0;
      next.focus();
    });
    return g;
  });
  const axis = all.map((d, i) => (d.axis
    ? svg('text', { class: 'axis', x: (LEFT + i * step + step / 2).toFixed(2), y: H - 4, 'text-anchor': 'middle' }, str(d.axis))
    : null));
  return svg('svg', { class: 'chart bars', viewBox: `0 0 ${W} ${H}`, 'aria-hidden': null },
    svg('g', { class: 'grid', 'aria-hidden': 'true' }, grid),
    svg('g', { class: 'columns' }, bars),
    svg('g', { class: 'axis-labels', 'aria-hidden': 'true' }, axis));
}

/** The hour-by-weekday heatmap: `heatmap` (the view's), shaded by `metric`'s level. */
export function heatmap(map, metric) {
  const rows = list(map && map.rows);
  const hours = Array.isArray(map && map.hours) ? map.hours : [];
  const left = 30;
  const cell = (W - left - 4) / 24;
  const cellH = 16;
  const h = rows.length * cellH + 16;
  const cells = rows.map((r, ri) => svg('g', { class: 'heat-row' },
    svg('text', { class: 'axis', x: left - 4, y: ri * cellH + cellH * 0.72, 'text-anchor': 'end' }, str(r.label)),
    list(r.cells).map((c) => svg('rect', {
      class: `heat heat-${metric === 'tokens' ? num(c.level_tokens) : num(c.level_cost)}`,
      x: (left + num(c.hour) * cell + 0.5).toFixed(2),
      y: ri * cellH + 0.5,
      width: (cell - 1).toFixed(2),
      height: cellH - 1,
      'data-cost': num(c.cost_usd),
      'data-tokens': num(c.tokens),
    }, svg('title', {}, str(c.description))))));
  const axis = (Array.isArray(map && map.axis_hours) ? map.axis_hours : []).map((hr) => svg('text', {
    class: 'axis', x: (left + num(hr) * cell).toFixed(2), y: h - 3,
  }, str(hours[hr])));
  return svg('svg', { class: 'chart heatmap', viewBox: `0 0 ${W} ${h}`, 'aria-hidden': 'true' }, cells, axis);
}

/** Limits over time: a line per window of its used share (0–100%) per day. */
export function limitLines(windows, dates) {
  const all = list(windows);
  const days = Array.isArray(dates) ? dates : [];
  const plotH = 100;
  const plotW = W - LEFT - 4;
  const x = (date) => LEFT + (Math.max(0, days.indexOf(date)) / Math.max(1, days.length - 1)) * plotW;
  const y = (p) => TOP + plotH - (Math.min(100, Math.max(0, num(p))) / 100) * plotH;
  const grid = [0, 50, 100].map((p) => svg('g', { class: 'tick' },
    svg('line', { x1: LEFT, x2: W - 2, y1: y(p), y2: y(p) }),
    svg('text', { x: LEFT - 5, y: y(p) + 3.5, 'text-anchor': 'end' }, `${p}%`)));
  const lines = all.map((w, i) => svg('polyline', {
    class: `limit-line series-${i % 6}`,
    points: list(w.points).map((p) => `${x(p.date).toFixed(1)},${y(p.used_percent).toFixed(1)}`).join(' '),
  }, svg('title', {}, str(w.label))));
  // A dot on each day read: a day alone draws no line.
  const dots = all.flatMap((w, i) => list(w.points).map((p) => svg('circle', {
    class: `limit-dot series-${i % 6}`, cx: x(p.date).toFixed(1), cy: y(p.used_percent).toFixed(1), r: 2.5,
  })));
  return svg('svg', { class: 'chart limits', viewBox: `0 0 ${W} ${plotH + TOP + 8}`, 'aria-hidden': 'true' }, grid, lines, dots);
}
