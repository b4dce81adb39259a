// The set-up page: a pure function of the `SetupView` the panel process builds (words, marks and
// actions all come from the core). No Tauri here; the buttons call `actions.setup(id)`.

import { el, str } from './dom.js';

const MARK_TONE = { ok: 'operational', warn: 'degraded', pending: 'unknown' };
const MARK_LABEL = { ok: 'OK', warn: 'Check', pending: '…' };

const list = (v) => (Array.isArray(v) ? v.filter((x) => x && typeof x === 'object') : []);

function row(r, actions, ui, prefix) {
  const id = `${prefix}${str(r.id)}`;
  const mark = str(r.mark);
  return el('article', { class: 'card setup-row', testid: id, 'data-tone': MARK_TONE[mark] || 'unknown', 'data-mark': mark },
    el('div', { class: 'card-head' },
      el('div', { class: 'card-title' }, str(r.label)),
      el('span', { class: 'status-label' }, MARK_LABEL[mark] || mark)),
    el('div', { class: 'card-body', testid: `${id}-value` }, str(r.value)),
    (Array.isArray(r.details) ? r.details : [])
      .filter((d) => typeof d === 'string')
      .map((d) => el('div', { class: 'card-note setup-detail' }, d)),
    list(r.actions).length
      ? el('div', { class: 'buttons' },
        list(r.actions).map((a) => el('button', {
          type: 'button',
          class: 'primary',
          testid: `${prefix}action-${str(a.id)}`,
          disabled: ui.busy,
          onclick: () => actions.setup(str(a.id)),
        }, str(a.label))))
      : null);
}

/**
 * Lays out `view` (a SetupView, or null while it is asked for) into `root`. With `only` (row
 * ids), just those rows, without the introduction (the Settings tab shows two of them).
 */
export function renderSetup(view, root, actions, ui, only) {
  const all = view && typeof view === 'object' ? list(view.rows) : [];
  const rows = only ? all.filter((r) => only.includes(r.id)) : all;
  const children = only ? [] : [
    el('p', { class: 'setup-intro' },
      'What ccpulse found on this computer. Each line says what to do if something is missing; ',
      'you can come back here from the tray menu, "Set up…".'),
  ];
  if (ui.error) children.push(el('p', { class: 'setup-error', role: 'alert', testid: 'setup-error' }, ui.error));
  if (ui.said) children.push(el('p', { class: 'setup-said', role: 'status', testid: 'setup-said' }, ui.said));
  if (!rows.length) children.push(el('p', { class: 'empty waiting' }, 'Looking…'));
  // Test ids: `setup-<row>` on the Set up tab, `settings-setup-<row>` on the Settings tab.
  const prefix = only ? 'settings-setup-' : 'setup-';
  children.push(...rows.map((r) => row(r, actions, ui, prefix)));
  root.replaceChildren(...children);
}
