// The operators' console: the incident list with deadlines counting down, an
// incident's page (tasks, timeline, links to Temporal and the digest), the
// digest, and statistics — kept live by the reporting service's event stream.
// Labels come from /v1/labels (shared/src/domain/labels.zh.ts), never copied here.
import { api, ApiError, followStream, session } from './api.js';
import { beijing, countdown, duration, h, safeUrl } from './format.js';

const $ = (selector) => document.querySelector(selector);
const VIEWS = ['login', 'list', 'detail', 'digest', 'stats'];

const state = {
  /** Every code's Chinese label, from the API. */
  labels: undefined,
  /** The list as last loaded: incident id → item, and their order. */
  items: new Map(),
  order: [],
  total: 0,
  /**
   * Task snapshots from live events, by incident and task key. They are newer
   * than the list while their `seq` is above the list's `tasksSeq` (the task
   * read model lags the stream a little), and dropped once it has caught up.
   */
  overlay: new Map(),
  /** The archive record of the incident whose page is open. */
  detail: undefined,
  route: { view: 'list' },
  stopStream: undefined,
  timers: {},
};

// ---- labels ------------------------------------------------------------------

const label = (group, code) => state.labels?.[group]?.[code] ?? code;

function tierBadge(tier) {
  return h('span', { class: `tier tier-${tier}`, dataset: { field: 'tier' } }, label('tiers', tier));
}

function statusBadge(status) {
  return h('span', { class: `status status-${status}`, dataset: { field: 'status' } }, label('incidentStatuses', status));
}

function countdownEl(dueAt) {
  const el = h('span', { class: 'countdown', dataset: { due: dueAt }, title: `时限 ${beijing(dueAt)}(北京时间)` });
  updateCountdown(el);
  return el;
}

function updateCountdown(el) {
  const c = countdown(el.dataset.due);
  el.textContent = c.text;
  el.classList.toggle('overdue', c.overdue);
}

function taskName(task) {
  const unit = task.unitName ?? (task.unitId && task.kind.startsWith('acknowledge') ? task.unitId : null);
  return `${label('tasks', task.kind)}${unit ? `(${unit})` : ''}`;
}

/** A task snapshot from an event, in the shape of the API's task view. */
function taskFromSnapshot(snapshot, known) {
  return {
    key: snapshot.key,
    kind: snapshot.kind,
    label: label('tasks', snapshot.kind),
    owner: snapshot.owner,
    ownerLabel: label('roles', snapshot.owner),
    unitId: snapshot.unitId ?? null,
    unitName: known?.unitName ?? null,
    status: snapshot.status,
    statusLabel: label('taskStatuses', snapshot.status),
    dueAt: snapshot.dueAt ?? null,
    doneAt: snapshot.doneAt ?? null,
    overdue: snapshot.overdue,
    seq: snapshot.seq,
  };
}

const byDeadline = (a, b) => (a.dueAt ? Date.parse(a.dueAt) : Infinity) - (b.dueAt ? Date.parse(b.dueAt) : Infinity);

// ---- session ----------------------------------------------------------------

function show(view) {
  for (const name of VIEWS) $(`#${name}-view`).hidden = name !== view;
  for (const link of document.querySelectorAll('[data-nav]')) link.classList.toggle('active', link.dataset.nav === (view === 'stats' ? 'stats' : 'list'));
}

function setLive(on) {
  const el = $('#live');
  el.dataset.state = on ? 'on' : 'off';
  el.textContent = on ? '实时:已连接' : '实时:连接中…';
}

function showLogin(message = '') {
  show('login');
  $('#logout').hidden = true;
  $('#live').dataset.state = 'off';
  $('#live').textContent = '实时:未连接';
  $('#login-error').textContent = message;
  $('#api-key').focus();
}

function logout(message = '') {
  state.stopStream?.();
  state.stopStream = undefined;
  session.key = null;
  state.items.clear();
  state.overlay.clear();
  state.detail = undefined;
  showLogin(message);
}

/** Errors from loading a view: a refused key logs out, anything else is shown in place. */
function failed(err, target) {
  if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
    logout(err.status === 401 ? '密钥无效或已停用,请重新输入。' : '该密钥没有查看报表(reports:read)的权限。');
    return;
  }
  target?.replaceChildren(h('p', { class: 'error', role: 'alert' }, err instanceof ApiError && err.status === 404 ? '未找到。' : `加载失败:${err.message}`));
}

async function onLogin(event) {
  event.preventDefault();
  const key = $('#api-key').value.trim();
  if (!key) return;
  session.key = key;
  try {
    await api.json('/v1/incidents?limit=1');
  } catch (err) {
    session.key = null;
    $('#login-error').textContent =
      err instanceof ApiError && err.status === 401
        ? '密钥无效或已停用。'
        : err instanceof ApiError && err.status === 403
          ? '该密钥没有查看报表(reports:read)的权限。'
          : `无法连接服务:${err.message}`;
    return;
  }
  $('#api-key').value = '';
  enter();
}

function enter() {
  $('#logout').hidden = false;
  setLive(false);
  state.stopStream = followStream({
    onState: (s) => (s === 'denied' ? logout('密钥已失效,请重新输入。') : setLive(s === 'on')),
    onMessage: (message) => {
      // On (re)connecting, or when told events may have been missed: reload what is shown.
      if (message.event === 'ready' || message.event === 'resync') reloadCurrent();
      else if (message.event === 'incident') applyLive(message.data);
    },
  });
  route();
}

// ---- routing ------------------------------------------------------------------

function parseRoute() {
  const path = location.hash.replace(/^#/, '') || '/';
  let m;
  if ((m = /^\/incidents\/([0-9a-f-]{36})\/digest$/i.exec(path))) return { view: 'digest', id: m[1] };
  if ((m = /^\/incidents\/([0-9a-f-]{36})$/i.exec(path))) return { view: 'detail', id: m[1] };
  if (path === '/stats') return { view: 'stats' };
  return { view: 'list' };
}

function route() {
  if (!session.key) return showLogin();
  state.route = parseRoute();
  show(state.route.view);
  reloadCurrent();
}

function reloadCurrent() {
  const r = state.route;
  if (!session.key) return;
  if (r.view === 'list') void loadList();
  else if (r.view === 'detail') void loadDetail(r.id);
  else if (r.view === 'digest') void loadDigest(r.id);
  else if (r.view === 'stats') void loadStats();
}

/** Runs `fn` once `ms` after the last call (live events come in bursts). */
function debounce(name, ms, fn) {
  clearTimeout(state.timers[name]);
  state.timers[name] = setTimeout(fn, ms);
}

// ---- live events ---------------------------------------------------------------

function applyLive({ incidentId, entry }) {
  const snapshots = entry.data?.tasks ?? [];
  if (snapshots.length > 0) {
    const tasks = state.overlay.get(incidentId) ?? new Map();
    for (const s of snapshots) if (!tasks.has(s.key) || tasks.get(s.key).seq < s.seq) tasks.set(s.key, s);
    state.overlay.set(incidentId, tasks);
  }
  const item = state.items.get(incidentId);
  if (item) {
    item.tier = entry.type === 'tier_changed' ? entry.data.to : entry.tier;
    if (entry.type === 'closed' || entry.type === 'archived') item.status = entry.type;
    if (entry.type === 'deadline_lapsed') item.overdue = true;
    if (state.route.view === 'list') renderRow(item, true);
  }
  const r = state.route;
  if (r.view === 'list') debounce('list', 400, () => void loadList());
  if (r.view === 'stats') debounce('stats', 2000, () => void loadStats());
  if (r.view === 'detail' && r.id === incidentId && state.detail) {
    applyToDetail(entry);
    debounce('detail', 800, () => void loadDetail(incidentId));
  }
}

// ---- the list ----------------------------------------------------------------------

function fillFilters() {
  const form = $('#filters');
  const options = (name, entries) => form.elements[name].append(...entries.map(([value, text]) => h('option', { value }, text)));
  options('tier', Object.entries(state.labels.tiers));
  options('status', Object.entries(state.labels.incidentStatuses));
  options('district', Object.entries(state.labels.districts));
  options('topic', Object.entries(state.labels.topics));
}

function listQuery() {
  const form = $('#filters');
  const q = new URLSearchParams({ limit: '200' });
  for (const name of ['tier', 'status', 'district', 'topic']) if (form.elements[name].value) q.set(name, form.elements[name].value);
  if (form.elements.overdue.checked) q.set('overdue', 'true');
  return q;
}

async function loadList() {
  try {
    const res = await api.json(`/v1/incidents?${listQuery()}`);
    state.items = new Map(res.items.map((item) => [item.id, item]));
    state.order = res.items.map((item) => item.id);
    state.total = res.total;
    for (const [id, tasks] of state.overlay) {
      const item = state.items.get(id);
      if (item) for (const [key, s] of tasks) if (s.seq <= item.tasksSeq) tasks.delete(key);
      if (!item || tasks.size === 0) state.overlay.delete(id);
    }
    renderList();
  } catch (err) {
    failed(err, $('#list-summary'));
  }
}

/** An item's open tasks: the list's, brought up to date by newer live snapshots. */
function openTasks(item) {
  const tasks = new Map(item.openTasks.map((t) => [t.key, t]));
  for (const s of state.overlay.get(item.id)?.values() ?? []) {
    if (s.seq <= item.tasksSeq) continue;
    if (s.status === 'open') tasks.set(s.key, taskFromSnapshot(s, tasks.get(s.key)));
    else tasks.delete(s.key);
  }
  return [...tasks.values()].sort(byDeadline);
}

function rowOf(item) {
  const open = openTasks(item);
  const next = open.find((t) => t.dueAt);
  const overdue = item.overdue || open.some((t) => t.dueAt && Date.parse(t.dueAt) < Date.now());
  const link = `#/incidents/${item.id}`;
  return h(
    'tr',
    { class: overdue ? 'overdue' : '', dataset: { incidentId: item.id } },
    h('td', {}, tierBadge(item.tier)),
    h('td', { class: 'title' }, h('a', { href: link }, item.title), overdue ? h('span', { class: 'flag', dataset: { field: 'overdue' } }, '⚠ 超时') : null),
    h('td', {}, item.districtName ?? '未指明'),
    h('td', {}, label('topics', item.topic)),
    h('td', {}, statusBadge(item.status)),
    h(
      'td',
      { dataset: { field: 'next-deadline' } },
      next
        ? [h('span', { class: 'task', dataset: { taskKey: next.key } }, taskName(next)), ' ', countdownEl(next.dueAt)]
        : h('span', { class: 'muted' }, '无待办时限'),
    ),
    h('td', { class: 'time' }, beijing(item.createdAt)),
  );
}

function renderList() {
  const body = $('#incidents tbody');
  body.replaceChildren(...state.order.map((id) => rowOf(state.items.get(id))));
  if (state.order.length === 0) body.append(h('tr', {}, h('td', { colspan: 7, class: 'muted' }, '暂无符合条件的舆情')));
  const overdue = [...state.items.values()].filter((i) => i.overdue).length;
  $('#list-summary').textContent = `共 ${state.total} 条${overdue ? `,其中 ${overdue} 条有事项超时` : ''}(时间均为北京时间)`;
}

function renderRow(item, flash) {
  const old = document.querySelector(`#incidents tr[data-incident-id="${item.id}"]`);
  if (!old) return;
  const row = rowOf(item);
  if (flash) row.classList.add('flash');
  old.replaceWith(row);
}

// ---- an incident's page ------------------------------------------------------------

async function loadDetail(id) {
  const view = $('#detail-view');
  try {
    const archive = await api.json(`/v1/incidents/${id}/archive`);
    if (state.route.view !== 'detail' || state.route.id !== id) return;
    // Keep live snapshots the read model has not caught up with yet.
    const live = state.detail?.incident.id === id ? state.detail.tasks : [];
    state.detail = archive;
    for (const t of live) mergeDetailTask(t);
    renderDetail();
  } catch (err) {
    failed(err, view);
  }
}

function mergeDetailTask(task) {
  const tasks = state.detail.tasks;
  const i = tasks.findIndex((t) => t.key === task.key);
  if (i < 0) tasks.push(task);
  else if (tasks[i].seq < task.seq) tasks[i] = { ...task, unitName: task.unitName ?? tasks[i].unitName };
}

function applyToDetail(entry) {
  const d = state.detail;
  if (!d.timeline.some((e) => e.eventId === entry.eventId)) {
    d.timeline.push(entry);
    d.timeline.sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt) || a.eventId.localeCompare(b.eventId));
  }
  for (const s of entry.data?.tasks ?? [])
    mergeDetailTask(
      taskFromSnapshot(
        s,
        d.tasks.find((t) => t.key === s.key),
      ),
    );
  d.incident.tier = entry.type === 'tier_changed' ? entry.data.to : entry.tier;
  renderDetail();
}

const STATUS_ORDER = { open: 0, waiting: 1, done: 2, cancelled: 3 };

function taskRow(t) {
  return h(
    'tr',
    { class: `task-${t.status}${t.status === 'open' && t.dueAt && Date.parse(t.dueAt) < Date.now() ? ' overdue' : ''}`, dataset: { taskKey: t.key } },
    h('td', {}, label('tasks', t.kind), t.mandatory === false ? h('span', { class: 'muted' }, '(可选)') : null),
    h('td', {}, t.unitName ?? label('roles', t.owner)),
    h('td', { dataset: { field: 'task-status' } }, label('taskStatuses', t.status)),
    h('td', { class: 'time' }, t.dueAt ? beijing(t.dueAt) : '—'),
    h('td', {}, t.status === 'open' && t.dueAt ? countdownEl(t.dueAt) : t.doneAt ? `完成于 ${beijing(t.doneAt)}` : ''),
  );
}

async function downloadArchive(id) {
  try {
    const archive = await api.json(`/v1/incidents/${id}/archive`);
    const url = URL.createObjectURL(new Blob([JSON.stringify(archive, null, 2)], { type: 'application/json' }));
    const a = h('a', { href: url, download: `舆情档案-${id}.json` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (err) {
    failed(err);
  }
}

function renderDetail() {
  const d = state.detail;
  const i = d.incident;
  const tasks = [...d.tasks].sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || byDeadline(a, b));
  const source = safeUrl(i.source.url);
  $('#detail-view').replaceChildren(
    h('p', {}, h('a', { href: '#/' }, '← 返回舆情列表')),
    h('h2', { class: 'detail-title', dataset: { incidentId: i.id } }, tierBadge(i.tier), ' ', i.title),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, '状态'),
      h('dd', {}, statusBadge(i.status), i.overdue ? h('span', { class: 'flag' }, '⚠ 有事项超时') : null),
      h('dt', {}, '区县 / 领域'),
      h('dd', {}, `${i.districtName ?? '未指明'} / ${label('topics', i.topic)}`),
      h('dt', {}, '来源'),
      h(
        'dd',
        {},
        i.source.outlet ?? i.source.platform ?? '',
        ' ',
        source ? h('a', { href: source, target: '_blank', rel: 'noopener noreferrer' }, source) : '',
      ),
      h('dt', {}, '接收时间'),
      h('dd', {}, `${i.createdAtLocal}(北京时间)`),
      h('dt', {}, '执行策略'),
      h('dd', {}, i.policyVersion ?? '—'),
    ),
    h(
      'p',
      { class: 'actions' },
      h(
        'a',
        { class: 'button', href: i.links.temporalUi, target: '_blank', rel: 'noopener noreferrer', dataset: { link: 'temporal' } },
        '在 Temporal Web UI 查看流程',
      ),
      d.digest
        ? h('a', { class: 'button', href: `#/incidents/${i.id}/digest`, dataset: { link: 'digest' } }, '查看《舆情摘报》')
        : h('span', { class: 'muted' }, '《舆情摘报》尚未形成'),
      h('button', { type: 'button', onclick: () => void downloadArchive(i.id) }, '下载档案(JSON)'),
    ),
    h('h3', {}, '事项与时限'),
    h(
      'table',
      { class: 'grid', id: 'detail-tasks' },
      h('thead', {}, h('tr', {}, h('th', {}, '事项'), h('th', {}, '承办'), h('th', {}, '状态'), h('th', {}, '时限(北京时间)'), h('th', {}, '倒计时'))),
      h('tbody', {}, tasks.map(taskRow)),
    ),
    ...(d.alerts.length
      ? [
          h('h3', {}, '超时与督办记录'),
          h(
            'ul',
            { class: 'alerts' },
            d.alerts.map((a) =>
              h(
                'li',
                {},
                h('time', {}, a.raisedAtLocal),
                ` ${a.kindLabel}:${a.taskLabel},责任方 ${a.unitName ?? a.ownerLabel}`,
                a.resolvedAt ? h('span', { class: 'muted' }, '(已办结)') : null,
              ),
            ),
          ),
        ]
      : []),
    h('h3', {}, '处置时间线'),
    h(
      'ol',
      { class: 'timeline', id: 'timeline' },
      d.timeline.map((e) => h('li', { dataset: { type: e.type } }, h('time', {}, e.occurredAtLocal), h('strong', {}, e.label), h('span', {}, e.text))),
    ),
  );
}

// ---- the digest ---------------------------------------------------------------------

async function loadDigest(id) {
  const view = $('#digest-view');
  const toolbar = h(
    'p',
    { class: 'actions no-print' },
    h('a', { href: `#/incidents/${id}` }, '← 返回舆情'),
    h('button', { type: 'button', onclick: () => window.print() }, '打印'),
  );
  try {
    // The service renders the digest; the console shows the same page inside itself.
    const html = await api.text(`/v1/incidents/${id}/digest.html`);
    const article = new DOMParser().parseFromString(html, 'text/html').querySelector('article.digest');
    view.replaceChildren(toolbar, document.importNode(article, true));
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) view.replaceChildren(toolbar, h('p', { class: 'muted' }, '《舆情摘报》尚未形成。'));
    else failed(err, view);
  }
}

// ---- statistics ---------------------------------------------------------------------

function table(headers, rows) {
  return h(
    'table',
    { class: 'grid' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((x) => h('th', {}, x)),
      ),
    ),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: headers.length, class: 'muted' }, '无'))),
  );
}

async function loadStats() {
  const view = $('#stats-view');
  const days = Number(view.querySelector('select[name=days]')?.value ?? 30);
  const to = new Date();
  const from = new Date(to.getTime() - days * 86_400_000);
  try {
    const s = await api.json(`/v1/stats?${new URLSearchParams({ from: from.toISOString(), to: to.toISOString() })}`);
    const period = h(
      'select',
      { name: 'days', onchange: () => void loadStats() },
      [7, 30, 90, 365].map((n) => h('option', { value: n, selected: n === days }, `近 ${n} 天`)),
    );
    // Sub-second delays (assessment, dispatch) matter too.
    const ms = (v) => (v === null ? '—' : v < 1000 ? `${v} 毫秒` : duration(v));
    view.replaceChildren(
      h(
        'p',
        { class: 'filters' },
        h('label', {}, '统计期间 ', period),
        h('span', { class: 'muted' }, ` ${s.period.fromLocal} 至 ${s.period.toLocal}(北京时间)`),
      ),
      h(
        'div',
        { class: 'cards' },
        h('div', { class: 'card' }, h('b', {}, s.incidents.total), '接收舆情'),
        s.incidents.byTier.map((c) => h('div', { class: `card tier-${c.key}` }, h('b', {}, c.count), c.label)),
      ),
      h('h3', {}, '四个第一(自接收起)'),
      table(
        ['环节', '适用', '已完成', '未完成', 'P50', 'P90'],
        s.fourFirsts.map((f) =>
          h(
            'tr',
            {},
            h('td', {}, f.label),
            h('td', {}, f.applicable),
            h('td', {}, f.reached),
            h('td', {}, f.pending),
            h('td', {}, ms(f.p50Ms)),
            h('td', {}, ms(f.p90Ms)),
          ),
        ),
      ),
      h('h3', {}, `超时未办事项(当前 ${s.openOverdueTasks.total} 项)`),
      table(
        ['舆情', '事项', '承办', '时限', '已超时'],
        s.openOverdueTasks.items.map((t) =>
          h(
            'tr',
            {},
            h('td', {}, h('a', { href: `#/incidents/${t.incidentId}` }, t.incidentTitle)),
            h('td', {}, t.label),
            h('td', {}, t.unitName ?? t.ownerLabel),
            h('td', {}, t.dueAtLocal),
            h('td', {}, countdownEl(t.dueAt)),
          ),
        ),
      ),
      h('h3', {}, '各单位超时记录'),
      table(
        ['责任单位', '角色', '超时次数', '尚未办结', '督办升级'],
        s.lapsesByUnit.map((u) =>
          h(
            'tr',
            {},
            h('td', {}, u.unitName ?? '(未指定单位)'),
            h('td', {}, u.roleLabels.join('、')),
            h('td', {}, u.lapses),
            h('td', {}, u.unresolved),
            h('td', {}, u.escalations),
          ),
        ),
      ),
      h('h3', {}, '按状态'),
      table(
        ['状态', '数量'],
        s.incidents.byStatus.map((c) => h('tr', {}, h('td', {}, c.label), h('td', {}, c.count))),
      ),
      h('h3', {}, '按区县'),
      table(
        ['区县', '数量'],
        s.incidents.byDistrict.map((c) => h('tr', {}, h('td', {}, c.label), h('td', {}, c.count))),
      ),
    );
  } catch (err) {
    failed(err, view);
  }
}

// ---- start ----------------------------------------------------------------------------

function tick() {
  $('#clock').textContent = `北京时间 ${beijing(Date.now())}`;
  for (const el of document.querySelectorAll('.countdown')) {
    updateCountdown(el);
    if (el.classList.contains('overdue')) el.closest('tr')?.classList.add('overdue');
  }
}

async function start() {
  tick();
  setInterval(tick, 1000);
  $('#login-form').addEventListener('submit', (e) => void onLogin(e));
  $('#logout').addEventListener('click', () => logout());
  $('#filters').addEventListener('change', () => void loadList());
  window.addEventListener('hashchange', route);
  try {
    state.labels = await api.json('/v1/labels');
  } catch (err) {
    document.body.append(h('p', { class: 'error', role: 'alert' }, `无法加载:${err.message}`));
    return;
  }
  fillFilters();
  if (session.key) enter();
  else showLogin();
}

void start();
