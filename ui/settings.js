// The Settings tab: a pure render of the config file's keys (values from the panel's
// `settings_read`), and the handlers bridge.js wires. No Tauri here.
//
// Each field is saved when it changes (a switch at once, a text field on Enter or when it loses
// focus); what the file does not set shows its default, marked "default"; Reset removes the key
// from the file. A refusal stays at its field with the reason, and the typed text with it.
// Values go to the panel as TOML, the way `ccpulse config set` takes them: the checking is the
// config's, not the page's.

import { el, str } from './dom.js';

const obj = (v) => (v && typeof v === 'object' && !Array.isArray(v) ? v : {});
const list = (v) => (Array.isArray(v) ? v : []);
const toml = {
  bool: (on) => (on ? 'true' : 'false'),
  // "80, 95" or "80 95" -> [80, 95]; the numbers themselves are checked by the config.
  numbers: (text) => `[${text.split(/[\s,]+/).filter(Boolean).join(', ')}]`,
  number: (text) => text.trim(),
  text: (text) => JSON.stringify(text.trim()), // a JSON string is a TOML basic string
  texts: (items) => `[${items.map((i) => JSON.stringify(String(i))).join(', ')}]`,
};

/**
 * The page, by section; a section or a row is one more entry here. A field: `key` (the file's
 * `section.name`), `label`, `kind` (switch, numbers, number, text, choice, components), `hint`,
 * and for a choice its `options`.
 */
export const SECTIONS = [
  {
    id: 'notifications',
    title: 'Notifications',
    fields: [
      { key: 'notifications.enabled', label: 'Show notifications', kind: 'switch', hint: 'Off: nothing is announced; the tray and the panel still show everything.' },
      { key: 'notifications.incidents', label: 'Status incidents', kind: 'switch' },
      { key: 'notifications.components', label: 'Watched components changing state', kind: 'switch' },
      { key: 'notifications.maintenance', label: 'Scheduled maintenance', kind: 'switch' },
      { key: 'notifications.overload', label: '529 waves', kind: 'switch' },
      { key: 'notifications.limits', label: 'Plan limits', kind: 'switch' },
      { key: 'notifications.limit_thresholds', label: 'Limit thresholds (%)', kind: 'numbers', placeholder: 'none', hint: 'Percents of a plan window announced once per window, e.g. 80, 95. Empty: none (a limit reached is always announced).' },
      { key: 'notifications.forecast', label: 'Before a limit, at this pace', kind: 'switch', hint: 'Once per window, when its pace fills it before it resets.' },
      { key: 'notifications.forecast_margin_minutes', label: 'Forecast margin (minutes)', kind: 'number', hint: 'How long before the reset the window must fill to be announced (0 to 300).' },
      { key: 'notifications.quiet_hours', label: 'Quiet hours', kind: 'text', placeholder: 'none, e.g. 22:00-07:00', hint: 'Local time. Notices are held back and told when they end. Empty: none.' },
      { key: 'notifications.repeat_minutes', label: 'Repeat after (minutes)', kind: 'number', hint: 'A condition that ended is not told as begun again sooner (0 to 1440).' },
      { key: 'notifications.group_secs', label: 'Group within (seconds)', kind: 'number', hint: 'More notices of a kind this soon come out as one (0 to 3600).' },
    ],
  },
  {
    id: 'status',
    title: 'Status page',
    fields: [
      { key: 'status.components', label: 'Watched components', kind: 'components', hint: 'Their changes are announced and colour the tray.' },
      { key: 'status.poll_secs', label: 'Poll every (seconds)', kind: 'number', hint: '1 to 3600. Applies when the tray next starts.' },
    ],
  },
  {
    id: 'overload',
    title: '529 waves',
    fields: [
      { key: 'overload.start_retries', label: 'Retries that start a wave', kind: 'number', hint: 'Within the window (1 to 1000).' },
      { key: 'overload.start_failures', label: 'Failures that start a wave', kind: 'number', hint: 'Requests that gave up, within the window (1 to 1000).' },
      { key: 'overload.window_secs', label: 'Window (seconds)', kind: 'number', hint: '1 to 86400.' },
      { key: 'overload.quiet_secs', label: 'Ends after quiet (seconds)', kind: 'number', hint: 'A wave ends after this long without an error (1 to 86400).' },
    ],
  },
  {
    id: 'limits',
    title: 'Plan limits',
    fields: [
      { key: 'limits.claude_code', label: 'Ask Claude Code for the limits', kind: 'switch', hint: 'When the status line has been quiet for 15 minutes, ccpulse asks Claude Code itself (its own login, no model call) instead of the usage endpoint.' },
      { key: 'limits.claude_path', label: 'Claude Code program', kind: 'text', placeholder: 'found on PATH', hint: 'An absolute path; empty: the claude on PATH.' },
    ],
  },
  {
    id: 'display',
    title: 'Display',
    fields: [
      { key: 'display.clock', label: 'Clock', kind: 'choice', options: [['auto', 'Your locale’s'], ['12h', '12-hour (3:45pm)'], ['24h', '24-hour (15:45)']], hint: 'How reset times are written in the tray, the panel, the command line and Claude Code’s status line.' },
    ],
  },
];

function call(actions, name, ...args) {
  const fn = actions && actions[name];
  if (typeof fn !== 'function') return;
  try {
    fn(...args);
  } catch (e) {
    console.error(`ccpulse: settings action ${name} failed`, e);
  }
}

const idOf = (key) => `setting-${key.replace(/[^a-z0-9]+/gi, '-')}`;

/** What a field shows for a JSON value (from the file, else the default). */
export function shown(kind, value) {
  if (value == null) return kind === 'switch' ? false : '';
  if (kind === 'switch') return value === true;
  if (kind === 'numbers') return list(value).join(', ');
  return str(value);
}

/** The TOML for what the user entered, or null to remove the key (an emptied text field). */
export function asToml(kind, text) {
  if (kind === 'switch') return toml.bool(text === true);
  const t = str(text).trim();
  if (kind === 'numbers') return toml.numbers(t);
  if (!t) return null;
  if (kind === 'number') return toml.number(t);
  return toml.text(t);
}

// The ids the watched list names among the live components; entries naming none stay as they
// are (a component the page does not list now), "all" stands for every live one.
function watched(names, components) {
  const all = names.some((n) => str(n).toLowerCase() === 'all');
  const match = (c, n) => n === c.id || str(n).toLowerCase() === str(c.name).toLowerCase();
  return {
    isOn: (c) => all || names.some((n) => match(c, n)),
    toggled(c, on) {
      const ids = components.filter((x) => (x.id === c.id ? on : all || names.some((n) => match(x, n)))).map((x) => x.id);
      const others = all ? [] : names.filter((n) => !components.some((x) => match(x, n)));
      return [...ids, ...others];
    },
  };
}

function componentsControl(field, value, ui, actions) {
  const comps = list(ui.components).filter((c) => c && typeof c.id === 'string');
  const names = list(value).map(str);
  if (!comps.length) {
    return el('div', { class: 'setting-control' },
      el('p', { class: 'setting-note', testid: 'setting-components-unknown' },
        'The component list is not known yet: it comes with the first reading of the status page.'),
      el('p', { class: 'setting-note' }, `Watching: ${names.join(', ') || 'none'}`));
  }
  const w = watched(names, comps);
  return el('fieldset', { class: 'setting-control setting-checks', id: idOf(field.key), 'aria-describedby': `${idOf(field.key)}-hint` },
    el('legend', { class: 'visually-hidden' }, field.label),
    comps.map((c) => el('label', { class: 'setting-check' },
      el('input', {
        type: 'checkbox', testid: 'setting-component', data: { componentId: c.id }, checked: w.isOn(c),
        on: { change: (e) => call(actions, 'write', field.key, toml.texts(w.toggled(c, e.target.checked))) },
      }),
      el('span', {}, str(c.name) || c.id))));
}

function control(field, value, draft, ui, actions) {
  const id = idOf(field.key);
  const described = `${id}-hint ${id}-error`;
  const commit = (e) => {
    const text = e.target.value;
    if (text === shown(field.kind, value) && !obj(ui.errors)[field.key]) return; // nothing changed
    const t = asToml(field.kind, text);
    if (t == null) call(actions, 'reset', field.key);
    else call(actions, 'write', field.key, t);
  };
  if (field.kind === 'components') return componentsControl(field, value, ui, actions);
  if (field.kind === 'switch') {
    return el('input', {
      type: 'checkbox', role: 'switch', id, class: 'setting-switch', testid: 'setting-input', checked: shown('switch', value), 'aria-describedby': described,
      on: { change: (e) => call(actions, 'write', field.key, asToml('switch', e.target.checked)) },
    });
  }
  if (field.kind === 'choice') {
    return el('select', { id, class: 'setting-input', testid: 'setting-input', 'aria-describedby': described, on: { change: (e) => call(actions, 'write', field.key, toml.text(e.target.value)) } },
      field.options.map(([v, label]) => el('option', { value: v, selected: v === shown('choice', value) }, label)));
  }
  return el('input', {
    type: 'text', id, class: 'setting-input', testid: 'setting-input', autocomplete: 'off', spellcheck: 'false',
    inputmode: field.kind === 'text' ? null : 'numeric', placeholder: field.placeholder,
    value: draft ?? shown(field.kind, value),
    'aria-describedby': described, 'aria-invalid': obj(ui.errors)[field.key] ? 'true' : null,
    on: {
      input: (e) => call(actions, 'draft', field.key, e.target.value),
      change: commit,
      keydown: (e) => { if (e.key === 'Enter') commit(e); },
    },
  });
}

function row(field, setting, ui, actions) {
  const s = obj(setting);
  const isSet = s.toml != null;
  const value = isSet ? s.value : s.default;
  const error = obj(ui.errors)[field.key];
  const id = idOf(field.key);
  const defaultWords = s.default == null ? 'default: none' : 'default';
  const input = control(field, value, obj(ui.drafts)[field.key], ui, actions);
  const inline = field.kind === 'switch'; // a switch sits before its label
  return el('div', { class: 'setting', testid: 'setting', data: { key: field.key, kind: field.kind, set: String(isSet) } },
    el('div', { class: 'setting-head' },
      inline ? input : null,
      field.kind === 'components'
        ? el('span', { class: 'setting-label', id: `${id}-label` }, field.label)
        : el('label', { class: 'setting-label', for: id }, field.label),
      isSet
        ? el('button', { type: 'button', class: 'setting-reset', testid: 'setting-reset', title: 'Remove it from the file: the default applies', on: { click: () => call(actions, 'reset', field.key) } }, 'Reset')
        : el('span', { class: 'tag', testid: 'setting-default' }, defaultWords),
      ui.saved === field.key ? el('span', { class: 'setting-saved', testid: 'setting-saved', role: 'status' }, 'Saved') : null),
    inline ? null : input,
    field.hint ? el('p', { class: 'setting-hint', id: `${id}-hint` }, field.hint) : null,
    el('p', { class: 'setting-error', id: `${id}-error`, testid: 'setting-error', role: error ? 'alert' : null, hidden: !error }, str(error)));
}

/**
 * Build the settings page into `root`. `settings`: `settings_read`'s answer ({path, settings:
 * [{key, toml, value, default}]}) or null while it is read. `actions`: { write(key, toml),
 * reset(key), draft(key, text) }. `ui`: { components: the view's `service.components`,
 * errors: {key: message}, drafts: {key: text typed}, saved: the key last saved, error: a line
 * for the whole page }.
 */
export function renderSettings(settings, root, actions, ui) {
  const opts = obj(ui);
  const byKey = new Map(list(obj(settings).settings).map((s) => [obj(s).key, s]));
  const active = root.ownerDocument && root.ownerDocument.activeElement;
  // Keep keyboard focus on the same control; from a Reset button (gone once reset) to its field.
  const inRow = active && root.contains(active) && active.closest ? active.closest('[data-key]') : null;
  const focusId = !inRow ? null
    : active.id || active.dataset.componentId || (active.dataset.testid === 'setting-reset' ? idOf(inRow.dataset.key) : null);
  const parts = [];
  if (opts.error) parts.push(el('p', { class: 'error-line', testid: 'settings-error', role: 'alert' }, str(opts.error)));
  if (!settings && !opts.error) parts.push(el('p', { class: 'empty waiting', testid: 'settings-loading' }, 'Reading the settings…'));
  if (settings) {
    for (const s of SECTIONS) {
      parts.push(el('section', { class: 'section settings-group', testid: `settings-${s.id}`, 'aria-labelledby': `settings-${s.id}-title` },
        el('h2', { class: 'section-title', id: `settings-${s.id}-title` }, s.title),
        s.fields.map((f) => row(f, byKey.get(f.key), opts, actions))));
    }
    parts.push(el('p', { class: 'settings-path', testid: 'settings-path' },
      'Saved to ', el('code', {}, str(obj(settings).path)), ' as you change them; the running tray follows the file.'));
  }
  root.replaceChildren(...parts);
  if (focusId) {
    const again = root.querySelector(`#${CSS.escape(focusId)}`) || root.querySelector(`[data-component-id="${CSS.escape(focusId)}"]`);
    if (again) again.focus();
  }
}
