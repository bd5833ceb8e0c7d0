// The approval inbox: plain DOM, no framework, no build step. Every piece of
// data reaches the page through textContent, never as markup.

const TOKEN_KEY = 'actiongate-token';
const RISK_ORDER = { RISK_LEVEL_DANGEROUS: 3, RISK_LEVEL_GUARDED: 2, RISK_LEVEL_SAFE: 1 };
const $ = (id) => document.getElementById(id);

let me = null;
let streamAbort = null;
let refreshTimer = null;

/** An element with text and children; strings become text nodes, so nothing is parsed as HTML. */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return node;
}

const short = (name, prefix) => (name ?? '').replace(prefix, '');
const riskName = (risk) => short(risk, 'RISK_LEVEL_') || 'SAFE';
const statusName = (status) => short(status, 'ACTION_STATUS_');

function ago(iso) {
  if (!iso) return '';
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return `${span(seconds)} ago`;
}

function left(iso) {
  if (!iso) return 'no expiry';
  const seconds = Math.round((Date.parse(iso) - Date.now()) / 1000);
  return seconds <= 0 ? 'expiring' : span(seconds);
}

function span(seconds) {
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

const may = (rpc) => me !== null && me.mayCall.includes(rpc);

function showError(message) {
  $('error').textContent = message;
  $('error').hidden = message === '';
}

class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
  }
}

async function api(method, path, body) {
  const headers = { authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const answer = await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 401) signOut('Your token was not accepted; sign in again.');
    throw new ApiError(response.status, answer);
  }
  return answer;
}

/** Runs a change the person asked for; its refusal is shown, and the lists reload either way. */
async function act(button, work) {
  button.disabled = true;
  try {
    await work();
    showError('');
  } catch (err) {
    showError(err.message);
  } finally {
    button.disabled = false;
    await refresh();
  }
}

// ---- sign in and out -------------------------------------------------------

function signOut(message = '') {
  sessionStorage.removeItem(TOKEN_KEY);
  me = null;
  streamAbort?.abort();
  streamAbort = null;
  for (const id of ['who', 'sign-out', 'halt-open', 'lists', 'detail', 'halt-banner', 'halt-confirm', 'live']) $(id).hidden = true;
  $('sign-in').hidden = false;
  showError(message);
}

async function signIn() {
  try {
    me = await api('GET', '/api/v1/whoami');
  } catch (err) {
    if (err.status !== 401) showError(err.message);
    return;
  }
  $('sign-in').hidden = true;
  const who = $('who');
  who.replaceChildren(el('span', { 'data-testid': 'who-name' }, me.name), ...me.roles.map((role) => el('span', { class: 'role' }, role)));
  who.hidden = false;
  $('sign-out').hidden = false;
  $('halt-open').hidden = !may('Halt');
  showError('');
  follow();
  await route();
}

// ---- the lists ---------------------------------------------------------------

function facts(pairs) {
  const list = el('dl', { class: 'facts' });
  // Long values (the policy's reasoning) take a whole row rather than a narrow column.
  for (const [name, raw] of pairs) {
    const value = raw === undefined || raw === null || raw === '' ? '–' : String(raw);
    list.append(el('div', value.length > 40 ? { class: 'wide' } : {}, el('dt', {}, name), el('dd', {}, value)));
  }
  return list;
}

function title(action) {
  const risk = riskName(action.riskLevel);
  return el('h3', {},
    el('span', { class: `risk risk-${risk}` }, risk),
    el('a', { href: `#/actions/${encodeURIComponent(action.actionId)}` }, action.actionType),
    el('span', {}, `${action.node} / ${action.service}`));
}

function verdict(action) {
  const v = action.policyVerdict;
  if (!v) return 'none';
  return `${v.rule || 'default'}: ${v.wouldApprove ? 'would approve' : 'needs people'}${v.reason ? ` (${v.reason})` : ''}`;
}

function decisionRow(action, canApprove = true) {
  const reason = el('input', { placeholder: 'reason (required to reject)', maxlength: '1024', 'aria-label': 'reason' });
  const row = el('div', { class: 'actions' }, reason);
  const decide = (verb) => async (event) => {
    const dangerous = action.riskLevel === 'RISK_LEVEL_DANGEROUS';
    if (verb === 'approve' && dangerous) {
      // A second, explicit step that names what would be touched.
      const confirm = el('div', { class: 'confirm-row' },
        el('span', {}, `Approve a DANGEROUS ${action.actionType} on node ${action.node}, service ${action.service}?`),
        el('button', { class: 'danger', type: 'button', onclick: (e) => act(e.currentTarget, () => api('POST', `/api/v1/actions/${action.actionId}/approve`, { reason: reason.value })) }, `Yes, approve on ${action.node}`),
        el('button', { type: 'button', onclick: () => confirm.remove() }, 'Cancel'));
      row.after(confirm);
      return;
    }
    await act(event.currentTarget, () => api('POST', `/api/v1/actions/${action.actionId}/${verb}`, { reason: reason.value }));
  };
  if (canApprove) row.append(el('button', { class: 'primary', type: 'button', onclick: decide('approve') }, 'Approve'));
  row.append(el('button', { type: 'button', onclick: decide('reject') }, 'Reject'));
  return row;
}

function pendingCard(action) {
  const approvals = (action.approvedBy ?? []).length;
  const card = el('li', { class: 'card', dataset: { actionId: action.actionId, testid: 'pending-card' } },
    title(action),
    facts([
      ['confidence', action.confidence === undefined ? '–' : `${Math.round(action.confidence * 100)} %`],
      ['proposed by', action.proposedBy],
      ['age', ago(action.createdAt)],
      ['time left', left(action.expiresAt)],
      ['approvals', `${approvals} of ${action.approvalsRequired ?? 1}`],
      ['policy', verdict(action)],
    ]),
    el('pre', {}, JSON.stringify(action.payload ?? {}, null, 2)));
  // The server refuses a second approval by the same person and approving one's own proposal: say so rather than offer it.
  const mine = (action.approvedBy ?? []).includes(me.name);
  if (mine) card.append(el('p', { class: 'empty' }, 'You approved this; it waits for another approver.'));
  else if (may('Approve')) {
    const own = action.proposedBy === me.name && !me.open;
    if (own) card.append(el('p', { class: 'empty' }, 'You proposed this: someone else must approve it; you may still reject it.'));
    card.append(decisionRow(action, !own));
  }
  return card;
}

function controlButtons(action) {
  const reason = el('input', { placeholder: 'reason', maxlength: '1024', 'aria-label': 'reason' });
  const send = (verb) => (event) => act(event.currentTarget, () => api('POST', `/api/v1/actions/${action.actionId}/${verb}`, { reason: reason.value }));
  const paused = action.controlState === 'CONTROL_STATE_PAUSED';
  return el('div', { class: 'actions' }, reason,
    paused ? el('button', { type: 'button', onclick: send('resume') }, 'Resume') : el('button', { type: 'button', onclick: send('pause') }, 'Pause'),
    el('button', { class: 'danger', type: 'button', onclick: send('terminate') }, 'Terminate'));
}

function runningCard(action) {
  const card = el('li', { class: 'card', dataset: { actionId: action.actionId, testid: 'running-card' } },
    title(action),
    facts([
      ['executor', action.lease?.executorId ?? '–'],
      ['attempt', `${action.attempt ?? 1} of ${action.maxAttempts ?? 1}`],
      ['control', short(action.controlState, 'CONTROL_STATE_') || 'NONE'],
      ['since', ago(action.updatedAt)],
    ]));
  if (may('Pause')) card.append(controlButtons(action));
  return card;
}

async function renderLists() {
  const [pending, running] = await Promise.all([
    api('GET', '/api/v1/actions?status=pending&page_size=500'),
    api('GET', '/api/v1/actions?status=running&page_size=500'),
  ]);
  const sorted = (pending.actions ?? []).sort((a, b) =>
    (RISK_ORDER[b.riskLevel] ?? 0) - (RISK_ORDER[a.riskLevel] ?? 0) || Date.parse(a.createdAt) - Date.parse(b.createdAt));
  // Approvals given come with each listed action (approvedBy): no need to read each one whole.
  const waiting = sorted;
  const held = running.actions ?? [];
  // A reload must not wipe a reason someone is typing.
  const typed = new Map();
  for (const input of document.querySelectorAll('#lists li[data-action-id] input')) {
    if (input.value !== '' || input === document.activeElement) typed.set(input.closest('li').dataset.actionId, { value: input.value, focused: input === document.activeElement });
  }
  $('pending').replaceChildren(...waiting.map(pendingCard));
  $('pending-empty').hidden = waiting.length > 0;
  $('pending-count').textContent = `(${waiting.length})`;
  $('running').replaceChildren(...held.map(runningCard));
  $('running-empty').hidden = held.length > 0;
  $('running-count').textContent = `(${held.length})`;
  for (const [actionId, { value, focused }] of typed) {
    const input = [...document.querySelectorAll('#lists li[data-action-id]')].find((li) => li.dataset.actionId === actionId)?.querySelector('input');
    if (input === undefined) continue;
    input.value = value;
    if (focused) input.focus();
  }
}

// ---- one action ------------------------------------------------------------

async function renderDetail(actionId) {
  const [{ action }, control] = await Promise.all([
    api('GET', `/api/v1/actions/${encodeURIComponent(actionId)}`),
    api('GET', `/api/v1/control-state/${encodeURIComponent(actionId)}`),
  ]);
  const card = el('div', { class: 'card' }, title(action),
    facts([
      ['status', statusName(action.status)],
      ['proposed by', action.proposedBy],
      ['confidence', `${Math.round((action.confidence ?? 0) * 100)} %`],
      ['approvals', `${(action.decisions ?? []).filter((d) => d.kind === 'DECISION_KIND_APPROVE').length} of ${action.approvalsRequired ?? 1}`],
      ['policy', verdict(action)],
      ['executor', action.lease?.executorId ?? '–'],
      ['id', action.actionId],
    ]),
    el('pre', {}, JSON.stringify(action.payload ?? {}, null, 2)));
  if (action.error) card.append(el('p', { class: 'error' }, action.error));
  if (action.status === 'ACTION_STATUS_PENDING' && may('Approve')) card.append(decisionRow(action));
  if (action.status === 'ACTION_STATUS_RUNNING' && may('Pause')) card.append(controlButtons(action));
  $('detail-card').replaceChildren(card);

  const entries = [];
  for (const e of action.history ?? []) {
    entries.push({ at: e.at, kind: statusName(e.to), text: `${e.from && e.from !== 'ACTION_STATUS_UNSPECIFIED' ? `${statusName(e.from)} → ` : ''}${statusName(e.to)} by ${e.actor}${e.reason ? `: ${e.reason}` : ''}` });
  }
  for (const d of action.decisions ?? []) {
    entries.push({ at: d.at, kind: short(d.kind, 'DECISION_KIND_'), text: `decision by ${d.actor}${d.reason ? `: ${d.reason}` : ''}` });
  }
  const bySequence = new Map();
  for (const s of control.action?.signals ?? []) {
    bySequence.set(s.sequence, s);
    entries.push({ at: s.issuedAt, kind: short(s.signal, 'SIGNAL_'), text: `signal #${s.sequence} by ${s.issuedBy}${s.reason ? `: ${s.reason}` : ''}` });
  }
  for (const a of control.action?.acknowledgements ?? []) {
    entries.push({ at: a.acknowledgedAt, kind: 'ACK', text: `executor ${a.executorId} acknowledged ${short(a.signal, 'SIGNAL_')} #${a.sequence}` });
  }
  entries.sort((a, b) => Date.parse(a.at ?? 0) - Date.parse(b.at ?? 0));
  $('timeline').replaceChildren(...entries.map((entry) =>
    el('li', {}, el('span', { class: 'when' }, entry.at ? new Date(entry.at).toLocaleString() : ''), el('span', { class: 'kind' }, entry.kind), entry.text)));
}

// ---- halt ------------------------------------------------------------------

async function renderHalt() {
  const { halt } = await api('GET', '/api/v1/control-state');
  const halted = halt?.halted === true;
  $('halt-banner').hidden = !halted;
  if (halted) {
    const s = halt.signal ?? {};
    $('halt-text').textContent = `by ${s.issuedBy ?? 'someone'}${s.issuedAt ? ` at ${new Date(s.issuedAt).toLocaleString()}` : ''}${s.reason ? `: ${s.reason}` : ''}. Nothing is claimed; running work is held.`;
  }
  $('unhalt').hidden = !(halted && may('Unhalt'));
  $('halt-open').hidden = halted || !may('Halt');
}

// ---- routing and live updates ----------------------------------------------

function currentActionId() {
  const match = /^#\/actions\/([^/]+)$/.exec(location.hash);
  return match === null ? null : decodeURIComponent(match[1]);
}

async function route() {
  if (me === null) return;
  const actionId = currentActionId();
  $('lists').hidden = actionId !== null;
  $('detail').hidden = actionId === null;
  await refresh();
}

async function refresh() {
  if (me === null) return;
  try {
    const actionId = currentActionId();
    await Promise.all([renderHalt(), actionId === null ? renderLists() : renderDetail(actionId)]);
  } catch (err) {
    showError(err.message);
  }
}

/** Many events arrive together (a halt touches every running action): one reload for a burst. */
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 150);
}

/**
 * Follows GET /api/v1/events. EventSource cannot send an Authorization header,
 * so the stream is read with fetch, and resumed with Last-Event-ID by hand.
 */
async function follow() {
  streamAbort?.abort();
  const controller = new AbortController();
  streamAbort = controller;
  let lastEventId = null;
  while (!controller.signal.aborted) {
    try {
      const headers = { authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) ?? ''}` };
      if (lastEventId !== null) headers['last-event-id'] = lastEventId;
      const response = await fetch('/api/v1/events', { headers, signal: controller.signal });
      if (response.status === 401) return signOut('Your token was not accepted; sign in again.');
      if (!response.ok) throw new Error(`event stream: HTTP ${response.status}`);
      $('live').hidden = false;
      if (lastEventId !== null) refreshSoon();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          for (const line of block.split('\n')) if (line.startsWith('id:')) lastEventId = line.slice(3).trim();
          if (/^(event|data):/m.test(block)) refreshSoon();
        }
      }
    } catch {
      // Dropped or refused: reconnect below, unless signed out.
    }
    $('live').hidden = true;
    if (controller.signal.aborted) return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

// ---- wiring ----------------------------------------------------------------

$('sign-in').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
  $('token').value = '';
  signIn();
});
$('sign-out').addEventListener('click', () => signOut());
$('halt-open').addEventListener('click', () => {
  $('halt-confirm').hidden = false;
  $('halt-reason').focus();
});
$('halt-cancel').addEventListener('click', () => ($('halt-confirm').hidden = true));
$('halt-confirm').addEventListener('submit', (event) => {
  event.preventDefault();
  const button = event.submitter ?? $('halt-confirm').querySelector('button[type=submit]');
  act(button, async () => {
    await api('POST', '/api/v1/halt', { reason: $('halt-reason').value, terminate_running: $('halt-terminate').checked });
    $('halt-confirm').hidden = true;
  });
});
$('unhalt').addEventListener('click', (event) => act(event.currentTarget, () => api('POST', '/api/v1/unhalt', { reason: 'unhalted from the inbox' })));
window.addEventListener('hashchange', route);
// Ages and time left move on their own.
setInterval(() => { if (me !== null && document.visibilityState === 'visible') refresh(); }, 30_000);

if (sessionStorage.getItem(TOKEN_KEY)) signIn();
else signOut();
