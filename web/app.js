// SPDX-License-Identifier: Apache-2.0
// zeelos console UI: one page, hash routes (#/, #/device/<gw>/<ep>, #/events), the REST API under
// /api and its event stream.  Every node is built with createElement/textContent: device names and
// values are never parsed as HTML.
'use strict';

const S = { session: null, specs: new Map(), es: null, route: null, log: [], charts: new Map() };

// ---- DOM helpers -------------------------------------------------------------------------------
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined && k !== false) e.append(k instanceof Node ? k : String(k));
  return e;
}
const $ = (sel, root) => (root || document).querySelector(sel);
const view = () => $('#view');
function ago(ms) {
  if (!ms) return '—';
  const s = Math.round((Date.now() - ms) / 1000);
  if (s < 60) return s + ' s ago';
  if (s < 3600) return Math.round(s / 60) + ' min ago';
  if (s < 86400) return Math.round(s / 3600) + ' h ago';
  return new Date(ms).toLocaleString();
}
function fmt(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' && !Number.isInteger(v)) return String(Math.round(v * 1e6) / 1e6);
  return String(v);
}

// ---- API ---------------------------------------------------------------------------------------
class ApiError extends Error {
  constructor(status, body) { super((body && body.message) || ('HTTP ' + status)); this.status = status; this.body = body; }
}
async function api(method, path, opts) {
  opts = opts || {};
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && S.session) headers['X-CSRF-Token'] = S.session.csrf;
  let body;
  if (opts.body !== undefined) { headers['Content-Type'] = 'application/json'; body = JSON.stringify(opts.body); }
  const q = opts.params ? '?' + new URLSearchParams(Object.entries(opts.params).filter(([, v]) => v !== '' && v !== undefined && v !== null)) : '';
  const r = await fetch(path + (q === '?' ? '' : q), { method, headers, body, credentials: 'same-origin' });
  let j = null;
  if (r.status !== 204) { try { j = await r.json(); } catch (e) { j = null; } }
  if (r.status === 401 && path !== '/api/session') { showLogin(); throw new ApiError(401, j); }
  if (!r.ok && r.status !== 202) throw new ApiError(r.status, j);
  return { status: r.status, body: j };
}

// ---- session -----------------------------------------------------------------------------------
function showLogin(msg) {
  S.session = null;
  if (S.es) { S.es.close(); S.es = null; }
  $('#who').hidden = true;
  $('#login').hidden = false;
  view().replaceChildren();
  const err = $('#login-error');
  err.hidden = !msg;
  err.textContent = msg || '';
}
function loggedIn(s) {
  S.session = s;
  $('#login').hidden = true;
  $('#who').hidden = false;
  $('#current-user').textContent = s.user;
  $('#current-role').textContent = s.role;
  document.body.classList.toggle('viewer', s.role !== 'admin');
  openEvents();
  route();
}
async function boot() {
  $('#login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const r = await api('POST', '/api/session', { body: { user: $('#login-user').value, password: $('#login-password').value } });
      $('#login-password').value = '';
      loggedIn(r.body);
    } catch (e) { showLogin(e.message || 'login failed'); }
  });
  $('#logout').addEventListener('click', async () => {
    try { await api('DELETE', '/api/session'); } catch (e) { /* gone anyway */ }
    showLogin();
  });
  window.addEventListener('hashchange', route);
  const m = location.hash.match(/^#otl=([A-Za-z0-9_-]+)/);
  if (m) {
    history.replaceState(null, '', location.pathname + '#/');
    try { loggedIn((await api('POST', '/api/session', { body: { oneTimeToken: m[1] } })).body); return; } catch (e) {
      showLogin('this one-time login was used already or has expired');
      return;
    }
  }
  try { loggedIn((await api('GET', '/api/session')).body); } catch (e) { showLogin(); }
  setInterval(() => { if (S.session && S.route && S.route.name === 'home') refreshHome(); }, 10000);
}

// ---- events --------------------------------------------------------------------------------------
const EVENT_TYPES = ['registration', 'update', 'deregistration', 'sleeping', 'awake', 'notification', 'send', 'request', 'response'];
function openEvents() {
  if (S.es) S.es.close();
  S.es = new EventSource('/api/events');
  for (const t of EVENT_TYPES) S.es.addEventListener(t, (m) => {
    let d;
    try { d = JSON.parse(m.data); } catch (e) { return; }
    d.type = t;
    d.at = d.at || Date.now();
    onEvent(d);
  });
}
function onEvent(d) {
  S.log.push(d);
  if (S.log.length > 500) S.log.shift();
  const r = S.route;
  if (!r) return;
  if (r.name === 'events') appendEvent($('[data-testid=event-log]'), d, true);
  if (r.name === 'device' && d.gateway === r.gw && d.endpoint === r.ep) {
    appendEvent($('[data-testid=event-log]'), d, true);
    if (d.type === 'notification' || d.type === 'send') for (const v of d.values || []) setValue(v.path, v.value, true, d.type === 'notification');
    if (['registration', 'update', 'deregistration', 'sleeping', 'awake'].includes(d.type)) refreshDeviceHeader();
  }
  if (r.name === 'home' && ['registration', 'update', 'deregistration', 'sleeping', 'awake'].includes(d.type)) refreshHome();
}
function summary(d) {
  switch (d.type) {
    case 'registration': case 'update': return (d.client ? 'lifetime ' + d.client.lifetime + ' s, ' + d.client.bindingMode + ', ' + d.client.address : '');
    case 'deregistration': return d.expired ? 'expired' : 'de-registered';
    case 'notification': case 'send': return (d.values || []).map((v) => v.path + ' = ' + fmt(v.value)).join(', ');
    case 'request': return d.kind + ' ' + d.path + ' by ' + d.user;
    case 'response': return d.kind + ' ' + d.path + ': ' + d.code + (d.message && d.message !== d.code ? ' (' + d.message + ')' : '') + (d.user ? ' for ' + d.user : '');
    default: return '';
  }
}
function appendEvent(list, d, top) {
  if (!list) return;
  const item = el('li', { 'data-testid': 'event-item', 'data-type': d.type, class: 'ev ev-' + d.type },
    el('time', { text: new Date(d.at).toLocaleTimeString() }),
    el('span', { class: 'evtype', text: d.type }),
    el('span', { class: 'evwho', text: (d.gateway || '') + (d.endpoint ? ' / ' + d.endpoint : '') }),
    el('span', { class: 'evsum', text: summary(d) }));
  if (top) list.prepend(item); else list.append(item);
  while (list.children.length > 300) list.lastChild.remove();
}

// ---- routing -------------------------------------------------------------------------------------
function route() {
  if (!S.session) return;
  const h = location.hash || '#/';
  let m;
  if ((m = h.match(/^#\/device\/([^/]+)\/(.+)$/))) S.route = { name: 'device', gw: decodeURIComponent(m[1]), ep: decodeURIComponent(m[2]) };
  else if (h.startsWith('#/events')) S.route = { name: 'events' };
  else S.route = { name: 'home' };
  S.charts = new Map();
  for (const a of document.querySelectorAll('.navlink')) a.classList.toggle('active', a.getAttribute('href') === (S.route.name === 'events' ? '#/events' : '#/'));
  if (S.route.name === 'home') renderHome();
  else if (S.route.name === 'events') renderEvents();
  else renderDevice();
}

// ---- home: gateways and devices ---------------------------------------------------------------
function badge(status) { return el('span', { class: 'badge b-' + status, 'data-testid': 'device-status', text: status }); }
function renderHome() {
  const search = el('input', { 'data-testid': 'device-search', id: 'device-search', placeholder: 'Search endpoints', type: 'search', oninput: renderDevices });
  const status = el('select', { 'data-testid': 'status-filter', id: 'status-filter', onchange: renderDevices },
    el('option', { value: '', text: 'any status' }), el('option', { value: 'online', text: 'online' }),
    el('option', { value: 'sleeping', text: 'sleeping' }), el('option', { value: 'offline', text: 'offline' }));
  const gwsel = el('select', { id: 'gateway-filter', onchange: renderDevices }, el('option', { value: '', text: 'any gateway' }));
  view().replaceChildren(
    el('h2', { text: 'Gateways' }),
    el('table', { class: 'grid', id: 'gateways' }, el('thead', {}, el('tr', {}, ['Gateway', 'Devices', 'Online', 'Sleeping', 'Offline', 'Health', 'Last seen', 'Pending'].map((t) => el('th', { text: t })))), el('tbody')),
    el('div', { class: 'row' }, el('h2', { text: 'Devices' }), el('div', { class: 'filters' }, search, status, gwsel)),
    el('table', { class: 'grid', id: 'devices' }, el('thead', {}, el('tr', {}, ['Endpoint', 'Gateway', 'Status', 'LwM2M', 'Binding', 'Lifetime', 'Address', 'Last seen'].map((t) => el('th', { text: t })))), el('tbody')));
  refreshHome();
}
let homeData = { gws: [], clients: [] };
async function refreshHome() {
  try {
    const [g, c] = await Promise.all([api('GET', '/api/gateways'), api('GET', '/api/clients')]);
    homeData = { gws: g.body, clients: c.body };
  } catch (e) { return; }
  if (!S.route || S.route.name !== 'home') return;
  const tb = $('#gateways tbody');
  tb.replaceChildren(...homeData.gws.map((g) => el('tr', { 'data-testid': 'gateway-row', 'data-gateway': g.id },
    el('td', { class: 'mono', text: g.id }), el('td', { text: g.devices.total }), el('td', { text: g.devices.online }),
    el('td', { text: g.devices.sleeping }), el('td', { text: g.devices.offline }),
    el('td', {}, el('span', { class: 'badge h-' + g.health, text: g.health })), el('td', { text: ago(g.lastSeen) }),
    el('td', { text: g.pendingRequests }))));
  const gwsel = $('#gateway-filter');
  const cur = gwsel.value;
  gwsel.replaceChildren(el('option', { value: '', text: 'any gateway' }), ...homeData.gws.map((g) => el('option', { value: g.id, text: g.id })));
  gwsel.value = cur;
  renderDevices();
}
function renderDevices() {
  const q = ($('#device-search') || {}).value || '', st = ($('#status-filter') || {}).value || '', gw = ($('#gateway-filter') || {}).value || '';
  const rows = homeData.clients.filter((c) => (!q || c.endpoint.includes(q)) && (!st || c.status === st) && (!gw || c.gateway === gw));
  const tb = $('#devices tbody');
  if (!tb) return;
  tb.replaceChildren(...rows.map((c) => {
    const href = '#/device/' + encodeURIComponent(c.gateway) + '/' + encodeURIComponent(c.endpoint);
    return el('tr', { 'data-testid': 'device-row', 'data-endpoint': c.endpoint, 'data-gateway': c.gateway, class: 'click', onclick: () => { location.hash = href; } },
      el('td', {}, el('a', { href, class: 'mono', text: c.endpoint })), el('td', { class: 'mono', text: c.gateway }),
      el('td', {}, badge(c.status)), el('td', { text: c.lwM2mVersion || '' }), el('td', { text: c.bindingMode || '' }),
      el('td', { text: c.lifetime + ' s' }), el('td', { class: 'mono', text: c.address || '' }), el('td', { text: ago(c.lastSeen) }));
  }));
  if (!rows.length) tb.append(el('tr', {}, el('td', { colspan: 8, class: 'empty', text: homeData.clients.length ? 'no device matches' : 'no device registered yet' })));
}

// ---- event log page -------------------------------------------------------------------------------
async function renderEvents() {
  const list = el('ul', { class: 'events', 'data-testid': 'event-log' });
  view().replaceChildren(el('h2', { text: 'Event log' }), list);
  try {
    const r = await api('GET', '/api/log', { params: { limit: 200 } });
    for (const d of r.body) appendEvent(list, d, true);
  } catch (e) { /* shown by the login form */ }
}

// ---- device page ------------------------------------------------------------------------------------
async function loadSpecs() {
  if (S.specs.size) return;
  const r = await api('GET', '/api/objectspecs');
  for (const o of r.body) S.specs.set(o.id, o);
}
function epPath(p) { return '/api/clients/' + encodeURIComponent(S.route.ep) + p; }
function opParams(extra) {
  const p = { gateway: S.route.gw, format: $('#opt-format').value, timeout: $('#opt-timeout').value };
  return Object.assign(p, extra || {});
}
function showResult(status, text, values) {
  const box = $('[data-testid=op-result]');
  box.setAttribute('data-status', status);
  box.className = 'result r-' + status;
  box.replaceChildren(el('div', { class: 'rtext', text }));
  if (values && values.length) box.append(el('ul', { class: 'rvals' }, values.map((v) => el('li', { class: 'mono', text: v.path + ' = ' + fmt(v.value) + ' (' + v.type + ')' }))));
  box.hidden = false;
}
async function op(method, path, opts, label) {
  showResult('pending', label + ' …');
  try {
    const r = await api(method, epPath(path), opts);
    const b = r.body || {};
    if (r.status === 202) { showResult('queued', 'queued: ' + (b.message || 'the device is sleeping; the gateway holds the request')); return b; }
    const ok = b.success;
    let text = label + ': ' + b.code + (b.message && b.message !== b.code ? ' — ' + b.message : '');
    if (b.location) text += ' — created ' + b.location;
    if (b.objectLinks) text += ' — ' + b.objectLinks;
    showResult(ok ? 'success' : 'error', text, b.values);
    for (const v of b.values || []) setValue(v.path, v.value, false, false);
    return b;
  } catch (e) {
    const code = e.body && e.body.code ? e.body.code : 'HTTP ' + e.status;
    showResult('error', label + ' failed: ' + code + ' — ' + e.message);
    return null;
  }
}
function setValue(path, value, flash, chart) {
  const row = document.querySelector('[data-testid=resource-row][data-path="' + CSS.escape(path) + '"]');
  let cell = row ? $('[data-testid=resource-value]', row) : null;
  const m = path.match(/^(\/\d+\/\d+\/\d+)\/(\d+)$/);
  if (!row && m) { // an instance of a multiple resource: show it in the resource's cell
    const r2 = document.querySelector('[data-testid=resource-row][data-path="' + CSS.escape(m[1]) + '"]');
    if (r2) {
      const c = $('[data-testid=resource-value]', r2);
      const parts = new Map((c.dataset.multi ? JSON.parse(c.dataset.multi) : []));
      parts.set(m[2], fmt(value));
      c.dataset.multi = JSON.stringify([...parts]);
      c.textContent = [...parts].map(([k, v]) => k + ': ' + v).join(', ');
    }
    return;
  }
  if (!cell) return;
  cell.textContent = fmt(value);
  if (flash) { cell.classList.remove('flash'); void cell.offsetWidth; cell.classList.add('flash'); }
  if (chart && typeof value === 'number') drawChart(row, path, value);
}
function drawChart(row, path, value) {
  let pts = S.charts.get(path);
  if (!pts) { pts = []; S.charts.set(path, pts); }
  pts.push(value);
  if (pts.length > 60) pts.shift();
  let svg = $('[data-testid=resource-chart]', row);
  const NS = 'http://www.w3.org/2000/svg';
  if (!svg) {
    svg = document.createElementNS(NS, 'svg');
    svg.setAttribute('data-testid', 'resource-chart');
    svg.setAttribute('class', 'chart');
    svg.setAttribute('viewBox', '0 0 240 48');
    svg.setAttribute('preserveAspectRatio', 'none');
    $('.vcell', row).append(svg);
  }
  const lo = Math.min(...pts), hi = Math.max(...pts), span = hi - lo || 1;
  const xy = pts.map((v, i) => [pts.length === 1 ? 240 : (i * 240) / (pts.length - 1), 44 - ((v - lo) / span) * 40]);
  const line = document.createElementNS(NS, 'polyline');
  line.setAttribute('points', xy.map(([x, y]) => x.toFixed(1) + ',' + y.toFixed(1)).join(' '));
  const dot = document.createElementNS(NS, 'circle');
  const [lx, ly] = xy[xy.length - 1];
  dot.setAttribute('cx', lx); dot.setAttribute('cy', ly); dot.setAttribute('r', '2.5');
  const lab = document.createElementNS(NS, 'text');
  lab.setAttribute('x', '2'); lab.setAttribute('y', '10');
  lab.textContent = 'min ' + fmt(lo) + ' · max ' + fmt(hi);
  svg.replaceChildren(line, dot, lab);
  svg.setAttribute('data-points', String(pts.length));
}

async function renderDevice() {
  const { gw, ep } = S.route;
  view().replaceChildren(el('p', { class: 'muted', text: 'loading ' + ep + ' …' }));
  let c;
  try {
    await loadSpecs();
    c = (await api('GET', '/api/clients/' + encodeURIComponent(ep), { params: { gateway: gw } })).body;
  } catch (e) {
    view().replaceChildren(el('p', { class: 'error', text: 'cannot load ' + ep + ': ' + e.message }));
    return;
  }
  const format = el('select', { id: 'opt-format', title: 'content format' }, ['', 'TLV', 'SENML_JSON', 'SENML_CBOR', 'JSON', 'TEXT', 'CBOR', 'LWM2M_CBOR'].map((f) => el('option', { value: f, text: f || 'format: auto' })));
  const timeout = el('input', { id: 'opt-timeout', type: 'number', min: '1', max: '25', value: '5', title: 'timeout (s)' });
  const paths = el('input', { 'data-testid': 'composite-paths', id: 'composite-paths', placeholder: '/3/0/0,/3303/0/5700', class: 'wide' });
  const cpParams = () => opParams({ paths: paths.value });
  const eventsList = el('ul', { class: 'events', 'data-testid': 'event-log' });
  view().replaceChildren(
    el('div', { class: 'crumbs' }, el('a', { href: '#/', text: 'Devices' }), ' / ', el('span', { class: 'mono', text: gw })),
    el('div', { class: 'devhead' }, el('h2', { 'data-testid': 'device-title', class: 'mono', text: ep }), el('span', { id: 'dev-status' })),
    el('dl', { class: 'facts', id: 'facts' }),
    el('div', { class: 'toolbar' }, format, el('label', { class: 'inline' }, 'timeout ', timeout, ' s'),
      el('span', { class: 'sep' }), paths,
      el('button', { 'data-testid': 'composite-read', onclick: () => op('GET', '/composite', { params: cpParams() }, 'read-composite') }, 'Read'),
      el('button', { class: 'w', 'data-testid': 'composite-observe', onclick: () => op('POST', '/composite/observe', { params: cpParams() }, 'observe-composite') }, 'Observe'),
      el('button', { class: 'w', 'data-testid': 'composite-cancel', onclick: () => op('DELETE', '/composite/observe', { params: cpParams() }, 'cancel-composite') }, 'Cancel')),
    el('div', { class: 'result', 'data-testid': 'op-result', 'data-status': 'none', hidden: true }),
    el('div', { class: 'cols' }, el('div', { class: 'tree', id: 'tree' }), el('aside', {}, el('h3', { text: 'Events' }), eventsList)));
  fillHeader(c);
  renderTree(c);
  try {
    const r = await api('GET', '/api/log', { params: { limit: 200 } });
    for (const d of r.body) if (d.gateway === gw && d.endpoint === ep) appendEvent(eventsList, d, true);
  } catch (e) { /* login form */ }
}
async function refreshDeviceHeader() {
  try { fillHeader((await api('GET', '/api/clients/' + encodeURIComponent(S.route.ep), { params: { gateway: S.route.gw } })).body); } catch (e) { /* keep */ }
}
function fillHeader(c) {
  const st = $('#dev-status');
  if (!st) return;
  st.replaceChildren(badge(c.status));
  const f = [['Gateway', c.gateway], ['LwM2M', c.lwM2mVersion], ['Binding', c.bindingMode + (c.queueMode ? ' (queue mode)' : '')],
    ['Lifetime', c.lifetime + ' s'], ['Address', c.address], ['Registration', c.registrationId], ['Registered', c.registrationDate ? new Date(c.registrationDate).toLocaleString() : ''],
    ['Last update', ago(c.lastUpdate)], ['Last seen', ago(c.lastSeen)]];
  $('#facts').replaceChildren(...f.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v === undefined || v === null ? '' : String(v) })]));
}

function objectsOf(c) {
  const objs = new Map();
  for (const l of c.objectLinks || []) {
    const m = l.url.match(/^\/(\d+)(?:\/(\d+))?$/);
    if (!m) continue;
    const o = +m[1];
    if (!objs.has(o)) objs.set(o, []);
    if (m[2] !== undefined) objs.get(o).push(+m[2]);
  }
  return [...objs].sort((a, b) => a[0] - b[0]);
}
const isAdmin = () => S.session && S.session.role === 'admin';
function btn(testid, text, fn, write) { return el('button', { 'data-testid': testid, class: write ? 'w' : '', disabled: write && !isAdmin(), onclick: fn }, text); }
function renderTree(c) {
  const tree = $('#tree');
  for (const [oid, insts] of objectsOf(c)) {
    const spec = S.specs.get(oid);
    const op0 = '/' + oid;
    const obj = el('div', { class: 'obj' },
      el('div', { class: 'orow', 'data-testid': 'object-row', 'data-path': op0 },
        el('span', { class: 'oname', text: (spec ? spec.name : 'Object') + ' ' }), el('span', { class: 'mono muted', text: op0 }),
        el('span', { class: 'btns' }, btn('btn-read', 'Read', () => op('GET', op0, { params: opParams() }, 'read ' + op0)),
          btn('btn-discover', 'Discover', () => op('GET', op0 + '/discover', { params: opParams() }, 'discover ' + op0)),
          btn('btn-create', 'Create', () => createDialog(oid, spec), true))));
    for (const iid of insts.sort((a, b) => a - b)) {
      const ip = op0 + '/' + iid;
      obj.append(el('div', { class: 'irow', 'data-testid': 'instance-row', 'data-path': ip },
        el('span', { class: 'mono', text: 'instance ' + iid }),
        el('span', { class: 'btns' }, btn('btn-read', 'Read', () => op('GET', ip, { params: opParams() }, 'read ' + ip)),
          btn('btn-observe', 'Observe', () => op('POST', ip + '/observe', { params: opParams() }, 'observe ' + ip), true),
          btn('btn-cancel-observe', 'Cancel', () => op('DELETE', ip + '/observe', { params: opParams() }, 'cancel ' + ip), true),
          btn('btn-discover', 'Discover', () => op('GET', ip + '/discover', { params: opParams() }, 'discover ' + ip)),
          btn('btn-delete', 'Delete', () => { if (confirm('Delete ' + ip + '?')) op('DELETE', ip, { params: opParams() }, 'delete ' + ip); }, true))));
      const table = el('table', { class: 'res' });
      for (const r of (spec ? spec.resources : [])) table.append(resourceRow(oid, iid, r));
      if (!spec) table.append(el('tr', {}, el('td', { colspan: 4, class: 'muted', text: 'no model for object ' + oid + ': read the instance to see its values' })));
      obj.append(table);
    }
    tree.append(obj);
  }
}
function resourceRow(oid, iid, r) {
  const p = '/' + oid + '/' + iid + '/' + r.id;
  const ops = r.operations || '';
  const b = [];
  if (ops.includes('R')) {
    b.push(btn('btn-read', 'Read', () => op('GET', p, { params: opParams() }, 'read ' + p)));
    b.push(btn('btn-observe', 'Observe', () => op('POST', p + '/observe', { params: opParams() }, 'observe ' + p), true));
    b.push(btn('btn-cancel-observe', 'Cancel', () => op('DELETE', p + '/observe', { params: opParams() }, 'cancel ' + p), true));
    b.push(btn('btn-attributes', 'Attributes', () => attrDialog(p), true));
  }
  if (ops.includes('W')) b.push(btn('btn-write', 'Write', () => writeDialog(p, r), true));
  if (ops.includes('E')) b.push(btn('btn-execute', 'Execute', () => execDialog(p), true));
  b.push(btn('btn-discover', 'Discover', () => op('GET', p + '/discover', { params: opParams() }, 'discover ' + p)));
  return el('tr', { 'data-testid': 'resource-row', 'data-path': p },
    el('td', { class: 'rid mono', text: r.id }),
    el('td', {}, el('div', { class: 'rname', text: r.name }), el('div', { class: 'muted small', text: r.type + (r.multiple ? ' [ ]' : '') + (r.units ? ' · ' + r.units : '') + ' · ' + (ops || '—') })),
    el('td', { class: 'vcell' }, el('span', { class: 'value mono', 'data-testid': 'resource-value' })),
    el('td', { class: 'bcell' }, el('div', { class: 'btns' }, b)));
}

// ---- dialogs ------------------------------------------------------------------------------------------
function dialog(testid, title, body, onOk, okId) {
  const d = el('dialog', { 'data-testid': testid, class: 'dlg' });
  const form = el('form', { method: 'dialog' }, el('h3', { text: title }), body,
    el('div', { class: 'dlgbtns' }, el('button', { type: 'button', onclick: () => d.close() }, 'Cancel'),
      el('button', { type: 'submit', 'data-testid': okId, class: 'primary' }, 'OK')));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); d.close(); onOk(); });
  d.append(form);
  d.addEventListener('close', () => d.remove());
  document.body.append(d);
  d.showModal();
  const first = $('input, select', d);
  if (first) first.focus();
}
function typedInput(type, testid) {
  if (type === 'BOOLEAN') return el('select', { 'data-testid': testid }, el('option', { value: 'true', text: 'true' }), el('option', { value: 'false', text: 'false' }));
  if (type === 'INTEGER' || type === 'FLOAT' || type === 'TIME') return el('input', { 'data-testid': testid, type: 'number', step: type === 'FLOAT' ? 'any' : '1', required: true });
  return el('input', { 'data-testid': testid, type: 'text' });
}
function typedValue(type, s) {
  if (type === 'INTEGER' || type === 'TIME') return parseInt(s, 10);
  if (type === 'FLOAT') return parseFloat(s);
  if (type === 'BOOLEAN') return s === 'true';
  return s;
}
function writeDialog(p, r) {
  const id = +p.split('/')[3];
  if (!r.multiple) {
    const input = typedInput(r.type, 'write-value');
    dialog('write-dialog', 'Write ' + r.name + ' (' + p + ', ' + r.type + ')', el('label', {}, 'Value ', input),
      () => op('PUT', p, { params: opParams(), body: { kind: 'singleResource', id, type: r.type, value: typedValue(r.type, input.value) } }, 'write ' + p), 'write-submit');
    return;
  }
  const rows = el('div', { class: 'multi' });
  const addRow = (k) => rows.append(el('div', { class: 'mrow' }, el('input', { class: 'riid', type: 'number', min: '0', value: k, title: 'instance id' }), typedInput(r.type, 'write-value-' + k),
    el('button', { type: 'button', onclick: (ev) => ev.target.parentNode.remove() }, '−')));
  addRow(0);
  dialog('write-dialog', 'Write ' + r.name + ' (' + p + ', ' + r.type + ' [ ])', el('div', {}, rows, el('button', { type: 'button', onclick: () => addRow(rows.children.length) }, '+ instance')),
    () => {
      const values = {};
      for (const row of rows.children) values[row.children[0].value] = typedValue(r.type, row.children[1].value);
      op('PUT', p, { params: opParams(), body: { kind: 'multiResource', id, type: r.type, values } }, 'write ' + p);
    }, 'write-submit');
}
function execDialog(p) {
  const args = el('input', { 'data-testid': 'execute-args', placeholder: "0='value',1" });
  dialog('execute-dialog', 'Execute ' + p, el('label', {}, 'Arguments (optional) ', args),
    () => op('POST', p, { params: opParams(), body: args.value ? { arguments: args.value } : {} }, 'execute ' + p), 'execute-submit');
}
function attrDialog(p) {
  const f = ['pmin', 'pmax', 'gt', 'lt', 'st'].map((k) => [k, el('input', { 'data-testid': 'attr-' + k, type: 'number', step: 'any' })]);
  dialog('attr-dialog', 'Write-attributes ' + p, el('div', { class: 'attrs' }, f.map(([k, i]) => el('label', {}, k + ' ', i))),
    () => {
      const params = {};
      for (const [k, i] of f) if (i.value !== '') params[k] = i.value;
      op('PUT', p + '/attributes', { params: opParams(params) }, 'write-attributes ' + p);
    }, 'attr-submit');
}
function createDialog(oid, spec) {
  const iid = el('input', { type: 'number', min: '0', placeholder: 'chosen by the device', id: 'create-iid' });
  const fields = (spec ? spec.resources : []).filter((r) => (r.operations || '').includes('W') && !r.multiple).map((r) => [r, typedInput(r.type, 'create-' + r.id)]);
  dialog('create-dialog', 'Create an instance of ' + (spec ? spec.name : 'object') + ' /' + oid,
    el('div', { class: 'attrs' }, el('label', {}, 'Instance id ', iid), fields.map(([r, i]) => el('label', {}, r.name + ' (' + r.id + ') ', i))),
    () => {
      const resources = [];
      for (const [r, i] of fields) if (i.value !== '') resources.push({ kind: 'singleResource', id: r.id, type: r.type, value: typedValue(r.type, i.value) });
      const body = { kind: 'instance', resources };
      if (iid.value !== '') body.id = +iid.value;
      op('POST', '/' + oid, { params: opParams(), body }, 'create /' + oid);
    }, 'create-submit');
}

document.addEventListener('DOMContentLoaded', boot);
