// Development preview: renders sample states without Tauri. ?sample=NAME shows one full-window.
import { render } from './render.js';

const NOW = Date.parse('2026-03-02T18:20:00Z');

const STATUS = {
  operational: ['Operational', 'operational'],
  degraded_performance: ['Degraded performance', 'degraded'],
  partial_outage: ['Partial outage', 'degraded'],
  major_outage: ['Major outage', 'outage'],
};
const component = (id, name, status, relevant) =>
  ({ id, name, status, label: STATUS[status][0], level: STATUS[status][1], relevant });
const components = (code, api) => [
  component('yyzkbfz2thpt', 'Claude Code', code, true),
  component('k8w3r06qmzrp', 'Claude API (api.anthropic.com)', api, true),
  component('rwppv331jlwc', 'claude.ai', 'operational', false),
  component('0qbwn08sd68x', 'platform.claude.com', 'operational', false),
];

const LIMITS = {
  rows: [
    { id: 'session', label: 'Session (5h)', used_percent: 42, tone: 'operational', resets_at: '2026-03-02T20:45:00Z', resets: '9:45pm',
      source: 'statusline', source_label: 'status line', as_of: '2026-03-02T18:18:00Z', age: '2 min ago' },
    { id: 'weekly', label: 'Weekly', used_percent: 83, tone: 'degraded', resets_at: '2026-03-09T00:00:00Z', resets: 'Mar 9 1:00am',
      source: 'oauth', source_label: 'OAuth', as_of: '2026-03-02T18:10:00Z', age: '10 min ago' },
    { id: 'model:Opus', label: 'Weekly Opus', used_percent: 97, tone: 'outage', resets_at: '2026-03-09T00:00:00Z', resets: 'Mar 9 1:00am',
      source: 'oauth', source_label: 'OAuth', as_of: '2026-03-02T18:10:00Z', age: '10 min ago' },
  ],
  projection_line: 'At this pace the session fills at 8:50pm (2h 30m)',
  extra_usage_line: 'Extra usage: $12.40 of $50.00',
  errors: [],
};

const SAMPLES = {
  operational: {
    paused_until: null,
    limits: LIMITS,
    activity: {
      today: 'Today: 4.5M tokens · $3.41 (local estimate)', burn_per_hour: 2.1,
      burn: 'Burn rate: $2.10/h over the last hour', errors_per_min: 0, errors: 'No API errors in the last 15 min',
    },
    advice: [{
      id: 'limit-near:model:Opus', tone: 'info', level: 'maintenance', title: 'Weekly Opus at 97%: resets Mar 9 1:00am (in 6d 6h)',
      detail: '3% left.', entry: 'model-limit', entry_title: 'Model limit reached (a weekly cap on one model)',
      steps: [{ command: '/usage', does: 'every window and when it resets' },
        { command: '/model', does: 'a lighter model makes what is left last longer' }],
    }],
    service: {
      indicator: 'none', description: 'All Systems Operational', level: 'operational',
      summary: 'Claude: operational', page_url: 'https://status.claude.com',
      components: components('operational', 'operational'), incidents: [],
      maintenances: [{
        id: 'mnt1', name: 'Scheduled database maintenance', status: 'scheduled', status_label: 'Scheduled', impact: 'maintenance',
        url: 'https://status.claude.com/incidents/mnt1', updated_at: '2026-03-01T09:00:00Z',
        scheduled_for: '2026-03-05T10:00:00Z', scheduled_until: '2026-03-05T12:00:00Z', relevant: true,
        latest_update: { body: 'Console sign-ins may be briefly unavailable.', status: 'scheduled', created_at: '2026-03-01T09:00:00Z' },
      }],
      fetched_at: '2026-03-02T18:18:00Z', age_secs: 120, stale: false, error: null,
    },
  },
  incident: {
    paused_until: '2026-03-02T19:05:00Z',
    service: {
      indicator: 'minor', description: 'Minor Service Outage', level: 'degraded',
      summary: 'Claude: Elevated errors on Claude Opus (identified)', page_url: 'https://status.claude.com',
      components: components('degraded_performance', 'partial_outage'),
      incidents: [{
        id: 'inc1', name: 'Elevated errors on Claude Opus', status: 'identified', status_label: 'Identified', impact: 'minor',
        url: 'https://status.claude.com/incidents/inc1', updated_at: '2026-03-02T10:15:00-08:00',
        scheduled_for: null, scheduled_until: null, relevant: true,
        latest_update: {
          body: 'We have identified the cause of elevated error rates on Claude Opus requests.\nA fix is rolling out now and error rates are starting to recover. Claude Code sessions may see intermittent 529 responses until the rollout completes. We will post another update within 30 minutes or sooner if anything changes. Thank you for your patience.',
          status: 'identified', created_at: '2026-03-02T10:15:00-08:00',
        },
      }, {
        id: 'inc2', name: 'Slow file uploads on claude.ai', status: 'monitoring', status_label: 'Monitoring', impact: 'none',
        url: 'https://status.claude.com/incidents/inc2', updated_at: '2026-03-02T17:40:00Z', relevant: false,
        latest_update: { body: 'Uploads are back to normal speed; we are monitoring.', status: 'monitoring', created_at: '2026-03-02T17:40:00Z' },
      }],
      maintenances: [],
      fetched_at: '2026-03-02T18:19:30Z', age_secs: 30, stale: false, error: null,
    },
    advice: [{
      id: 'wave', tone: 'degraded', level: 'degraded', title: 'Overload reported: Elevated errors on Claude Opus',
      detail: 'Not your quota: overloaded requests do not count against your plan, and Claude Code retries them. Capacity is per model.',
      entry: 'overloaded', entry_title: 'Claude is overloaded (529)',
      steps: [{ command: '/model', does: 'another model may have capacity now' }],
    }],
  },
  offline: {
    paused_until: null,
    service: {
      indicator: 'major', description: 'Partial System Outage', level: 'unknown',
      summary: 'Claude: Claude Code: major outage (offline, as of 12 min ago)', page_url: null,
      components: components('major_outage', 'operational'),
      incidents: [{
        id: 'inc3', name: 'Claude Code unavailable', status: 'investigating', status_label: 'Investigating', impact: 'major',
        url: 'https://status.claude.com/incidents/inc3', updated_at: '2026-03-02T18:05:00Z', relevant: true,
        latest_update: null,
      }],
      maintenances: null,
      fetched_at: '2026-03-02T18:08:00Z', age_secs: 720, stale: true,
      error: 'https://status.claude.com/api/v2/summary.json: connection timed out after 10 s',
    },
    advice: [{
      id: 'offline', tone: 'blocked', level: 'outage', title: 'No connection',
      detail: 'Nothing answers from this machine, so Claude Code cannot reach Anthropic either until the connection is back. Showing what was known 12 min ago.',
      entry: 'unable-to-connect', entry_title: 'Unable to connect to the API',
      steps: [{ command: 'ccpulse doctor', does: 'checks name resolution, proxies, certificates and keys on this machine' }],
    }],
  },
};

const log = document.getElementById('preview-log');
const say = (text) => { if (log) log.textContent = text; };
const actions = {
  openUrl: (url) => say(`openUrl(${url})`),
  refresh: () => say('refresh()'),
  copy: (text) => say(`copy(${text})`),
  showEntry: (id) => say(`showEntry(${id})`),
};

const frames = document.getElementById('frames');
const wanted = new URLSearchParams(location.search).get('sample');
const names = wanted && SAMPLES[wanted] ? [wanted] : Object.keys(SAMPLES);
if (names.length === 1) document.body.classList.add('single');

for (const name of names) {
  const frame = document.createElement('div');
  frame.className = 'preview-frame';
  const root = document.createElement('main');
  root.className = 'panel';
  root.dataset.testid = 'panel';
  frame.append(root);
  frames.append(frame);
  const ui = { now: NOW, error: name === 'offline' ? 'refresh_now: the status page did not answer in time' : null };
  render(SAMPLES[name], root, actions, ui);
}
// Robustness: odd input must not throw.
for (const odd of [undefined, null, {}, { service: null }, { service: { components: 'x', incidents: [null, 1] } }]) {
  render(odd, document.createElement('main'), null);
}
