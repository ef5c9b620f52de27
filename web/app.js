// SPDX-License-Identifier: Apache-2.0
// zeelos console UI: one page, hash routes (#/, #/device/<gw>/<ep>, #/events), the REST API under
// /api and its event stream (/api/events).  Every node is built with createElement/textContent:
// device names and values are never parsed as HTML (the page runs under a strict CSP: no inline
// script or style).
'use strict';

const S = {
  session: null,          // {user, role, csrf, expires}
  specs: new Map(),       // object id -> model
  es: null, esUrl: '',    // the event stream and its URL
  route: null, routeKey: '',
  gen: 0,                 // render generation: an async render that finished late is dropped
  home: { gws: [], clients: [], loaded: false },
  client: null,           // the client shown on the device page
  charts: new Map(),      // path -> [numbers] (last 60)
  observed: new Set(),    // paths observed from this page
  seq: 0,                 // operation counter (shown in the result panel)
  homeTimer: 0,
};
const EVENT_TYPES = ['registration', 'update', 'deregistration', 'sleeping', 'awake', 'notification', 'send', 'request', 'response'];
const LIFECYCLE = ['registration', 'update', 'deregistration', 'sleeping', 'awake'];
const FORMATS = ['', 'TLV', 'SENML_JSON', 'SENML_CBOR', 'JSON', 'TEXT', 'CBOR', 'LWM2M_CBOR', 'OPAQUE'];
const CHART_POINTS = 60;
// what a device's failure code means, when its answer carries no message
const CODE_TEXT = {
  BAD_REQUEST: 'the device could not parse the request', UNAUTHORIZED: 'the device refuses this server access to it',
  FORBIDDEN: 'the device forbids this operation', NOT_FOUND: 'the device has no such object, instance or resource',
  METHOD_NOT_ALLOWED: 'the device does not allow this operation on this path', NOT_ACCEPTABLE: 'the device cannot answer in the requested format',
  REQUEST_ENTITY_INCOMPLETE: 'a block-wise transfer was incomplete', PRECONDITION_FAILED: 'a precondition of the request failed',
  REQUEST_ENTITY_TOO_LARGE: 'the request is too large for the device', UNSUPPORTED_CONTENT_FORMAT: 'the device does not support this content format',
  INTERNAL_SERVER_ERROR: 'the device failed to handle the request', SERVICE_UNAVAILABLE: 'the device is busy', GATEWAY_TIMEOUT: 'the gateway got no answer from the device',
};

// ---- DOM helpers -------------------------------------------------------------------------------
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = String(v);
    else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  append(e, kids);
  return e;
}
function append(e, kids) {
  for (const k of kids.flat(Infinity)) if (k !== null && k !== undefined && k !== false) e.append(k instanceof Node ? k : String(k));
  return e;
}
const SVG_NS = 'http://www.w3.org/2000/svg';
function svg(tag, attrs) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  return e;
}
const $ = (sel, root) => (root || document).querySelector(sel);
const $$ = (sel, root) => [...(root || document).querySelectorAll(sel)];
const byTestPath = (testid, path) => document.querySelector('[data-testid="' + testid + '"][data-path="' + CSS.escape(path) + '"]');
const view = () => $('#view');

function ago(ms) {
  if (ms === null || ms === undefined || ms === 0) return '—';
  const s = Math.round((Date.now() - ms) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return s + ' s ago';
  if (s < 3600) return Math.floor(s / 60) + ' min ago';
  if (s < 86400) return Math.floor(s / 3600) + ' h ago';
  return new Date(ms).toLocaleString();
}
function timeEl(ms) {
  return el('time', { class: 'ago', 'data-ms': ms || '', title: ms ? new Date(ms).toLocaleString() : '', text: ago(ms) });
}
function refreshAgo() { for (const t of $$('time.ago')) t.textContent = ago(+t.dataset.ms || 0); }
function fmt(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' && !Number.isInteger(v)) return String(Math.round(v * 1e6) / 1e6);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
function clock(ms) {
  const d = new Date(ms || Date.now());
  return d.toLocaleTimeString([], { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}
const isAdmin = () => !!(S.session && S.session.role === 'admin');

// ---- API ---------------------------------------------------------------------------------------
class ApiError extends Error {
  constructor(status, body, fallback) {
    super((body && body.message) || fallback || ('HTTP ' + status));
    this.status = status;
    this.body = body;
    this.code = (body && body.code) || (status ? 'http_' + status : 'network');
  }
}
async function api(method, path, opts) {
  opts = opts || {};
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD' && S.session) headers['X-CSRF-Token'] = S.session.csrf;
  let body;
  if (opts.body !== undefined) { headers['Content-Type'] = 'application/json'; body = JSON.stringify(opts.body); }
  const qs = opts.params ? new URLSearchParams(Object.entries(opts.params)
    .filter(([, v]) => v !== '' && v !== undefined && v !== null).map(([k, v]) => [k, String(v)])).toString() : '';
  let r;
  try {
    r = await fetch(path + (qs ? '?' + qs : ''), { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, null, 'the console does not answer (' + e.message + ')');
  }
  let j = null;
  if (r.status !== 204) {
    const text = await r.text();
    if (text) { try { j = JSON.parse(text); } catch (e) { j = null; } }
  }
  if (r.status === 401 && path !== '/api/session') {
    showLogin('Your session has ended: please sign in again.');
    throw new ApiError(401, j);
  }
  if (!r.ok) throw new ApiError(r.status, j);
  return { status: r.status, body: j };
}

// ---- session -----------------------------------------------------------------------------------
function showLogin(msg) {
  S.session = null;
  S.gen++;
  S.route = null;
  S.routeKey = '';
  closeStream();
  document.body.classList.remove('authed', 'viewer');
  $('#who').hidden = true;
  $('#mainnav').hidden = true;
  $('#login').hidden = false;
  view().replaceChildren();
  const err = $('#login-error');
  err.hidden = !msg;
  err.textContent = msg || '';
  const u = $('#login-user');
  if (u && !u.value) u.focus(); else if ($('#login-password')) $('#login-password').focus();
}
function loggedIn(s) {
  S.session = s;
  $('#login').hidden = true;
  $('#login-error').hidden = true;
  $('#who').hidden = false;
  $('#mainnav').hidden = false;
  $('#current-user').textContent = s.user;
  $('#current-role').textContent = s.role;
  $('#current-role').className = 'role role-' + (s.role === 'admin' ? 'admin' : 'viewer');
  document.body.classList.add('authed');
  document.body.classList.toggle('viewer', s.role !== 'admin');
  route();
}
async function boot() {
  $('#login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const btn = $('[data-testid=login-submit]');
    btn.disabled = true;
    try {
      const r = await api('POST', '/api/session', { body: { user: $('#login-user').value.trim(), password: $('#login-password').value } });
      $('#login-password').value = '';
      loggedIn(r.body);
    } catch (e) {
      showLogin(e.status === 401 ? 'Wrong user name or password.' : 'Sign-in failed: ' + e.message);
    } finally { btn.disabled = false; }
  });
  $('#logout').addEventListener('click', async () => {
    try { await api('DELETE', '/api/session'); } catch (e) { /* the session is gone anyway */ }
    $('#login-password').value = '';
    showLogin();
  });
  window.addEventListener('hashchange', () => { if (!oneTimeLogin()) route(); });
  setInterval(tick, 10000);
  if (oneTimeLogin()) return;
  try { loggedIn((await api('GET', '/api/session')).body); } catch (e) { showLogin(e.status === 401 || !e.status ? '' : e.message); }
}
// #otl=<token>: the one-time login URL the console prints at start.  Returns whether it was one.
function oneTimeLogin() {
  const m = location.hash.match(/^#otl=([^&/]+)/);
  if (!m) return false;
  history.replaceState(null, '', location.pathname + location.search + '#/');
  (async () => {
    let token = m[1];
    try { token = decodeURIComponent(token); } catch (e) { /* as is */ }
    try {
      loggedIn((await api('POST', '/api/session', { body: { oneTimeToken: token } })).body);
    } catch (e) {
      showLogin(e.status === 401 ? 'This one-time login link was used already or has expired: sign in with a user name and password.'
        : 'Sign-in failed: ' + e.message);
    }
  })();
  return true;
}
function tick() {
  if (!S.session || !S.route) return;
  refreshAgo();
  if (S.route.name === 'home') refreshHome();
  else if (S.route.name === 'device') refreshDeviceHeader();
}

// ---- the event stream ----------------------------------------------------------------------------
function closeStream() {
  if (S.es) { S.es.close(); S.es = null; }
  S.esUrl = '';
  clearTimeout(S.esRetry);
  setLive('off');
}
function setLive(state) {
  const l = $('#live');
  if (!l) return;
  l.className = 'live live-' + state;
  l.title = state === 'on' ? 'receiving live events' : state === 'wait' ? 'connecting to the event stream…' : 'no live events';
  $('#live-text').textContent = state === 'on' ? 'live' : state === 'wait' ? 'connecting' : 'offline';
}
function ensureStream(url) {
  if (S.es && S.esUrl === url) return;
  closeStream();
  S.esUrl = url;
  const es = new EventSource(url);
  S.es = es;
  setLive('wait');
  es.onopen = () => { if (S.es === es) setLive('on'); };
  es.onerror = () => {
    if (S.es !== es) return;
    if (es.readyState === EventSource.CLOSED) { // refused (e.g. 401): check the session, then retry
      setLive('off');
      S.es = null;
      S.esRetry = setTimeout(async () => {
        if (!S.session || S.esUrl !== url) return;
        try { await api('GET', '/api/session'); } catch (e) {
          if (e.status === 401 && S.session) showLogin('Your session has ended: please sign in again.');
          else if (S.session && S.esUrl === url) { S.esUrl = ''; ensureStream(url); } // the console is away: keep trying
          return;
        }
        S.esUrl = '';
        ensureStream(url);
      }, 3000);
    } else setLive('wait');
  };
  for (const t of EVENT_TYPES) es.addEventListener(t, (m) => {
    if (S.es !== es) return;
    let d;
    try { d = JSON.parse(m.data); } catch (e) { return; }
    if (!d || typeof d !== 'object') return;
    d.type = t;
    if (!d.at) d.at = Date.now();
    onEvent(d);
  });
}
function onEvent(d) {
  const r = S.route;
  if (!r) return;
  if (r.name === 'events') { appendEvent($('[data-testid=event-log]'), d, true); updateEventCount(); }
  if (r.name === 'home' && LIFECYCLE.includes(d.type)) scheduleHome();
  if (r.name === 'device' && d.gateway === r.gw && d.endpoint === r.ep) {
    appendEvent($('[data-testid=event-log]'), d, true);
    if (d.type === 'notification' || d.type === 'send') applyValues(d.values, { flash: true, chart: true });
    // any answer with values (a late one, a queued request's once the device woke up, another user's)
    if (d.type === 'response' && d.success && Array.isArray(d.values) && d.values.length) applyValues(d.values, {});
    if (d.type === 'registration' || d.type === 'update') { if (d.client) fillHeader(d.client); else refreshDeviceHeader(); }
    else if (LIFECYCLE.includes(d.type)) refreshDeviceHeader();
    if (d.type === 'registration') { S.observed.clear(); markObserved(); } // a new registration ends the observations
  }
}
function summary(d) {
  const vals = (v) => (Array.isArray(v) ? v : []).map((x) => x.path + ' = ' + fmt(x.value)).join(', ');
  switch (d.type) {
    case 'registration': case 'update': {
      const c = d.client || {};
      return [c.lwM2mVersion && 'LwM2M ' + c.lwM2mVersion, c.bindingMode && 'binding ' + c.bindingMode,
        c.lifetime !== undefined && 'lifetime ' + c.lifetime + ' s', c.address].filter(Boolean).join(' · ');
    }
    case 'deregistration': return d.expired ? 'registration expired' : 'de-registered';
    case 'sleeping': return 'the device went to sleep (queue mode)';
    case 'awake': return 'the device is awake';
    case 'notification': {
      const v = Array.isArray(d.values) ? d.values : [];
      if (v.length === 1 && v[0].path === d.path) return vals(v);
      return (d.path ? d.path + ' → ' : '') + vals(v);
    }
    case 'send': return vals(d.values);
    case 'request': return (d.user || '?') + ' → ' + d.kind + ' ' + (d.path || '');
    case 'response': {
      let s = d.kind + ' ' + (d.path || '') + ' → ' + (d.code || d.status || '');
      if (d.message && d.message !== d.code) s += ' (' + d.message + ')';
      if (d.values && d.values.length) s += ': ' + vals(d.values);
      if (d.objectLinks) s += ': ' + splitLinks(d.objectLinks).join(',');
      if (d.location) s += ': ' + d.location;
      if (d.user) s += ' · for ' + d.user;
      return s;
    }
    default: return '';
  }
}
function appendEvent(list, d, top) {
  if (!list) return;
  const who = [];
  if (d.gateway && d.endpoint && S.route && S.route.name === 'events') {
    who.push(el('a', { href: deviceHref(d.gateway, d.endpoint), text: d.gateway + ' / ' + d.endpoint }));
  } else who.push((d.gateway || '') + (d.endpoint ? ' / ' + d.endpoint : ''));
  let t = d.type;
  if (t === 'response' && d.success === false) t = 'response failed';
  const item = el('li', { 'data-testid': 'event-item', 'data-type': d.type, class: 'ev ev-' + d.type + (d.success === false ? ' ev-failed' : '') },
    el('time', { text: clock(d.at), title: new Date(d.at).toLocaleString() }),
    el('span', { class: 'evtype', text: t }),
    el('span', { class: 'evwho', title: (d.gateway || '') + ' / ' + (d.endpoint || '') }, who),
    el('span', { class: 'evsum', text: summary(d) }));
  const f = list.dataset.filter;
  if (f && f !== d.type) item.hidden = true;
  if (top) list.prepend(item); else list.append(item);
  while (list.children.length > 500) list.lastChild.remove();
  const empty = list.parentNode && $('.empty-log', list.parentNode);
  if (empty) empty.remove();
}

// ---- routing -------------------------------------------------------------------------------------
function deviceHref(gw, ep) { return '#/device/' + encodeURIComponent(gw) + '/' + encodeURIComponent(ep); }
function parseRoute() {
  const h = location.hash || '#/';
  let m;
  if ((m = h.match(/^#\/device\/([^/]+)\/(.+)$/))) {
    try { return { name: 'device', gw: decodeURIComponent(m[1]), ep: decodeURIComponent(m[2]) }; } catch (e) { return { name: 'home' }; }
  }
  if (h.startsWith('#/events')) return { name: 'events' };
  return { name: 'home' };
}
function route() {
  if (!S.session) return;
  const r = parseRoute();
  const key = JSON.stringify(r);
  if (key === S.routeKey && view().childElementCount) return; // already shown
  S.route = r;
  S.routeKey = key;
  S.gen++;
  S.charts = new Map();
  S.observed = new Set();
  S.client = null;
  for (const a of $$('.navlink')) a.classList.toggle('active', a.dataset.route === r.name || (r.name === 'device' && a.dataset.route === 'home'));
  ensureStream(r.name === 'device' ? '/api/events?' + new URLSearchParams({ gateway: r.gw, endpoint: r.ep }) : '/api/events');
  window.scrollTo(0, 0);
  document.title = (r.name === 'device' ? r.ep + ' · ' : r.name === 'events' ? 'Event log · ' : '') + 'zeelos console';
  if (r.name === 'home') renderHome();
  else if (r.name === 'events') renderEvents();
  else renderDevice();
}

// ---- home: gateways and devices ---------------------------------------------------------------
function badge(status, testid) {
  return el('span', { class: 'badge b-' + status, 'data-testid': testid || null, 'data-status': testid ? status : null, text: status });
}
function card(title, extra, ...body) {
  return el('section', { class: 'card' }, el('div', { class: 'card-head' }, el('h2', { text: title }), extra), body);
}
function renderHome() {
  const search = el('input', { 'data-testid': 'device-search', id: 'device-search', placeholder: 'Search endpoints…', type: 'search', oninput: renderDevices, autocomplete: 'off' });
  const status = el('select', { 'data-testid': 'status-filter', id: 'status-filter', onchange: renderDevices, title: 'status' },
    el('option', { value: '', text: 'All statuses' }), ['online', 'sleeping', 'offline'].map((s) => el('option', { value: s, text: s })));
  const gwsel = el('select', { 'data-testid': 'gateway-filter', id: 'gateway-filter', onchange: renderDevices, title: 'gateway' }, el('option', { value: '', text: 'All gateways' }));
  const head = (cols) => el('thead', {}, el('tr', {}, cols.map(([t, c]) => el('th', { class: c || null, text: t }))));
  view().replaceChildren(
    el('div', { class: 'tiles', id: 'tiles' }),
    card('Gateways', el('span', { class: 'muted small', id: 'gw-count' }),
      el('div', { class: 'scroll' }, el('table', { class: 'grid', id: 'gateways' },
        head([['Gateway'], ['Devices', 'num'], ['Online', 'num'], ['Sleeping', 'num'], ['Offline', 'num'], ['Health'], ['Last seen'], ['Pending requests', 'num']]),
        el('tbody', {}, el('tr', {}, el('td', { colspan: 8, class: 'empty', text: 'loading…' })))))),
    card('Devices', el('div', { class: 'filters' }, search, status, gwsel),
      el('div', { class: 'scroll' }, el('table', { class: 'grid', id: 'devices' },
        head([['Endpoint'], ['Gateway'], ['Status'], ['LwM2M'], ['Binding'], ['Lifetime', 'num'], ['Address'], ['Last seen']]),
        el('tbody', {}, el('tr', {}, el('td', { colspan: 8, class: 'empty', text: 'loading…' })))))));
  if (S.home.loaded) fillHome();
  refreshHome();
}
function scheduleHome() {
  if (S.homeTimer) return;
  S.homeTimer = setTimeout(() => { S.homeTimer = 0; if (S.route && S.route.name === 'home') refreshHome(); }, 250);
}
async function refreshHome() {
  const gen = S.gen;
  let g, c;
  try {
    [g, c] = await Promise.all([api('GET', '/api/gateways'), api('GET', '/api/clients')]);
  } catch (e) {
    if (gen === S.gen && e.status !== 401) {
      const tb = $('#devices tbody');
      if (tb && !S.home.loaded) tb.replaceChildren(el('tr', {}, el('td', { colspan: 8, class: 'empty error', text: 'cannot load the devices: ' + e.message })));
    }
    return;
  }
  S.home = { gws: Array.isArray(g.body) ? g.body : [], clients: Array.isArray(c.body) ? c.body : [], loaded: true };
  if (gen !== S.gen || !S.route || S.route.name !== 'home') return;
  fillHome();
}
function fillHome() {
  const { gws, clients } = S.home;
  const count = (st) => clients.filter((c) => c.status === st).length;
  $('#tiles').replaceChildren(
    tile('Gateways', gws.length, gws.filter((g) => g.health !== 'ok').length ? gws.filter((g) => g.health !== 'ok').length + ' need attention' : 'all healthy', gws.some((g) => g.health === 'unresponsive') ? 'bad' : ''),
    tile('Devices', clients.length, 'registered', ''),
    tile('Online', count('online'), '', 'ok'),
    tile('Sleeping', count('sleeping'), 'queue mode', 'warn'),
    tile('Offline', count('offline'), '', count('offline') ? 'bad' : ''));
  $('#gw-count').textContent = gws.length + (gws.length === 1 ? ' gateway' : ' gateways');
  const tb = $('#gateways tbody');
  syncRows(tb, gws, (g) => g.id, (g) => {
    const d = g.devices || {};
    return el('tr', { 'data-testid': 'gateway-row', 'data-gateway': g.id, class: 'click', title: 'show the devices of ' + g.id,
      onclick: () => { const s = $('#gateway-filter'); s.value = s.value === g.id ? '' : g.id; renderDevices(); } },
    el('td', { class: 'mono strong', text: g.id }), el('td', { class: 'num', text: d.total ?? 0 }),
    el('td', { class: 'num', text: d.online ?? 0 }), el('td', { class: 'num', text: d.sleeping ?? 0 }),
    el('td', { class: 'num', text: d.offline ?? 0 }),
    el('td', {}, el('span', { class: 'badge h-' + g.health, text: g.health })), el('td', {}, timeEl(g.lastSeen)),
    el('td', { class: 'num' + (g.pendingRequests ? ' strong' : ''), text: g.pendingRequests ?? 0 }));
  });
  if (!gws.length) tb.append(el('tr', {}, el('td', { colspan: 8, class: 'empty', text: 'No gateway found yet: the console lists every gateway whose registrations topic exists.' })));
  const gwsel = $('#gateway-filter');
  const cur = gwsel.value;
  const ids = [...new Set(gws.map((g) => g.id).concat(clients.map((c) => c.gateway)))].sort();
  gwsel.replaceChildren(el('option', { value: '', text: 'All gateways' }), ...ids.map((id) => el('option', { value: id, text: id })));
  gwsel.value = ids.includes(cur) ? cur : '';
  renderDevices();
}
// Rows of a table kept in place across refreshes (an element a user or a test holds stays valid):
// rows are matched by key, and only the cells whose content changed are replaced.
function syncRows(tb, items, keyOf, build) {
  if (!tb._cache) tb._cache = new Map(); // rows filtered out come back as the same elements
  const have = new Map();
  for (const tr of [...tb.rows]) { if (tr._key !== undefined) have.set(tr._key, tr); else tr.remove(); }
  let prev = null;
  for (const it of items) {
    const k = keyOf(it);
    const fresh = build(it);
    let tr = have.get(k) || tb._cache.get(k);
    if (tr) {
      have.delete(k);
      for (let i = 0; i < fresh.cells.length; i++) {
        const a = tr.cells[i], b = fresh.cells[i];
        if (!a) tr.append(b.cloneNode(true));
        else if (a.outerHTML !== b.outerHTML) tr.replaceChild(b.cloneNode(true), a);
      }
    } else {
      tr = fresh;
      tr._key = k;
      tb._cache.set(k, tr);
    }
    const want = prev ? prev.nextSibling : tb.firstChild;
    if (want !== tr) tb.insertBefore(tr, want);
    prev = tr;
  }
  for (const tr of have.values()) tr.remove();
}
function tile(label, value, note, tone) {
  return el('div', { class: 'tile' + (tone ? ' t-' + tone : '') }, el('div', { class: 'tile-label', text: label }),
    el('div', { class: 'tile-value', text: value }), el('div', { class: 'tile-note', text: note || '\u00a0' }));
}
function renderDevices() {
  const tb = $('#devices tbody');
  if (!tb || !S.home.loaded) return;
  const q = $('#device-search').value.trim().toLowerCase(), st = $('#status-filter').value, gw = $('#gateway-filter').value;
  for (const r of $$('#gateways tbody tr')) r.classList.toggle('selected', !!gw && r.dataset.gateway === gw);
  const all = S.home.clients;
  const rows = all.filter((c) => (!q || String(c.endpoint).toLowerCase().includes(q)) && (!st || c.status === st) && (!gw || c.gateway === gw));
  syncRows(tb, rows, (c) => c.gateway + '\n' + c.endpoint, (c) => {
    const href = deviceHref(c.gateway, c.endpoint);
    return el('tr', { 'data-testid': 'device-row', 'data-endpoint': c.endpoint, 'data-gateway': c.gateway, class: 'click',
      onclick: (ev) => { if (!ev.target.closest('a')) location.hash = href; } },
    el('td', {}, el('a', { href, class: 'mono strong', text: c.endpoint })), el('td', { class: 'mono', text: c.gateway }),
    el('td', {}, badge(c.status, 'device-status')), el('td', { text: c.lwM2mVersion || '' }),
    el('td', { class: 'mono', text: c.bindingMode || '' }),
    el('td', { class: 'num', text: c.lifetime !== undefined && c.lifetime !== null ? c.lifetime + ' s' : '' }),
    el('td', { class: 'mono muted', text: c.address || '' }), el('td', {}, timeEl(c.lastSeen)));
  });
  if (!rows.length) tb.append(el('tr', {}, el('td', { colspan: 8, class: 'empty', text: all.length ? 'No device matches the filters.' : 'No device has registered yet.' })));
}

// ---- event log page -------------------------------------------------------------------------------
async function renderEvents() {
  const gen = S.gen;
  const list = el('ul', { class: 'events events-page', 'data-testid': 'event-log' });
  const filter = el('select', { 'data-testid': 'event-filter', title: 'event type', onchange: () => {
    list.dataset.filter = filter.value;
    for (const i of list.children) i.hidden = !!filter.value && i.dataset.type !== filter.value;
    updateEventCount();
  } }, el('option', { value: '', text: 'All event types' }), EVENT_TYPES.map((t) => el('option', { value: t, text: t })));
  const clear = el('button', { type: 'button', onclick: () => { list.replaceChildren(); updateEventCount(); } }, 'Clear');
  view().replaceChildren(card('Event log', el('div', { class: 'filters' }, el('span', { class: 'muted small', id: 'event-count' }), filter, clear),
    el('div', { class: 'evhead' }, ['Time', 'Type', 'Gateway / endpoint', 'Details'].map((t) => el('span', { text: t }))),
    list, el('p', { class: 'empty-log muted', text: 'loading…' })));
  try {
    const r = await api('GET', '/api/log', { params: { limit: 200 } });
    if (gen !== S.gen) return;
    const live = [...list.children]; // arrived on the stream while the log loaded: keep them on top
    for (const d of Array.isArray(r.body) ? r.body : []) appendEvent(list, d, true);
    for (const i of live.reverse()) list.prepend(i);
  } catch (e) { if (gen === S.gen && e.status !== 401) list.after(el('p', { class: 'error', text: 'cannot load the log: ' + e.message })); }
  const empty = $('.empty-log', view());
  if (empty) empty.textContent = 'No event yet: registrations, requests and notifications appear here as they happen.';
  updateEventCount();
}
function updateEventCount() {
  const c = $('#event-count');
  const list = $('[data-testid=event-log]');
  if (c && list) c.textContent = [...list.children].filter((i) => !i.hidden).length + ' events';
}

// ---- device page: loading, header -----------------------------------------------------------------
async function loadSpecs() {
  if (S.specs.size) return;
  const r = await api('GET', '/api/objectspecs');
  for (const o of Array.isArray(r.body) ? r.body : []) S.specs.set(o.id, o);
}
function epPath(p) { return '/api/clients/' + encodeURIComponent(S.route.ep) + p; }
function opParams(extra) {
  const p = { gateway: S.route.gw };
  const f = $('#opt-format'), t = $('#opt-timeout');
  if (f && f.value) p.format = f.value;
  if (t && t.value) p.timeout = t.value;
  return Object.assign(p, extra || {});
}
async function renderDevice() {
  const gen = S.gen;
  const { gw, ep } = S.route;
  view().replaceChildren(el('p', { class: 'muted loading', text: 'Loading ' + ep + ' …' }));
  let c;
  try {
    await loadSpecs();
    c = (await api('GET', '/api/clients/' + encodeURIComponent(ep), { params: { gateway: gw } })).body;
  } catch (e) {
    if (gen !== S.gen || e.status === 401) return;
    view().replaceChildren(el('div', { class: 'crumbs' }, el('a', { href: '#/', text: 'Devices' }), ' / ', gw, ' / ', ep),
      el('div', { class: 'card notice error' }, el('h2', { text: 'Cannot show ' + ep }),
        el('p', { text: (e.status === 404 ? 'This device is unknown to the console (on gateway ' + gw + ').' : e.message) }),
        el('p', {}, el('a', { href: '#/', text: '← back to the devices' }))));
    return;
  }
  if (gen !== S.gen) return;
  S.client = c;
  const format = el('select', { id: 'opt-format', 'data-testid': 'opt-format', title: 'content format of the requests' },
    FORMATS.map((f) => el('option', { value: f, text: f || 'auto' })));
  const timeout = el('input', { id: 'opt-timeout', 'data-testid': 'opt-timeout', type: 'number', min: '1', max: '25', value: '5', title: 'timeout of the requests (s)' });
  const paths = el('input', { 'data-testid': 'composite-paths', id: 'composite-paths', placeholder: '/3/0/0, /3303/0/5700', class: 'wide', autocomplete: 'off' });
  const cp = () => {
    const v = paths.value.split(',').map((s) => s.trim()).filter(Boolean).join(',');
    return v;
  };
  const compositeOp = (method, suffix, label) => () => {
    const p = cp();
    if (!p) { showResult({ status: 'error', title: label, head: 'enter one or more paths, separated by commas' }); paths.focus(); return; }
    op(method, '/composite' + suffix, { params: opParams({ paths: p }) }, label + ' ' + p, { observe: suffix ? (method === 'POST' ? p.split(',') : null) : null, cancel: method === 'DELETE' ? p.split(',') : null });
  };
  const eventsList = el('ul', { class: 'events', 'data-testid': 'event-log' });
  view().replaceChildren(
    el('div', { class: 'crumbs' }, el('a', { href: '#/', text: 'Devices' }), el('span', { class: 'sl', text: '/' }),
      el('span', { class: 'mono', text: gw }), el('span', { class: 'sl', text: '/' }), el('span', { class: 'mono', text: ep })),
    el('div', { class: 'devhead' }, el('h1', { 'data-testid': 'device-title', class: 'mono', text: ep }), el('span', { id: 'dev-status' }),
      el('span', { class: 'muted', id: 'dev-sub' })),
    el('dl', { class: 'facts card', id: 'facts' }),
    el('div', { class: 'toolbar card' },
      el('label', { class: 'inline' }, 'Format', format),
      el('label', { class: 'inline' }, 'Timeout', timeout, el('span', { class: 'muted', text: 's' })),
      el('span', { class: 'sep' }),
      el('label', { class: 'inline grow' }, 'Composite', paths),
      el('button', { 'data-testid': 'composite-read', type: 'button', onclick: compositeOp('GET', '', 'read-composite') }, 'Read'),
      el('button', { class: 'w', 'data-testid': 'composite-observe', type: 'button', disabled: !isAdmin(), onclick: compositeOp('POST', '/observe', 'observe-composite') }, 'Observe'),
      el('button', { class: 'w', 'data-testid': 'composite-cancel', type: 'button', disabled: !isAdmin(), onclick: compositeOp('DELETE', '/observe', 'cancel-composite') }, 'Cancel observe')),
    el('div', { class: 'cols' },
      el('div', { class: 'tree', id: 'tree' }),
      el('aside', { class: 'side' },
        el('section', { class: 'card side-card' }, el('div', { class: 'card-head' }, el('h2', { text: 'Result' })),
          el('div', { class: 'result r-none', 'data-testid': 'op-result', 'data-status': 'none' },
            el('p', { class: 'muted', text: 'The answer of the last operation shows here.' }))),
        el('section', { class: 'card side-card' }, el('div', { class: 'card-head' }, el('h2', { text: 'Events' }),
          el('button', { type: 'button', class: 'small', onclick: () => eventsList.replaceChildren() }, 'Clear')), eventsList))));
  fillHeader(c);
  renderTree(c);
  try {
    const r = await api('GET', '/api/log', { params: { limit: 200 } });
    if (gen !== S.gen) return;
    const live = [...eventsList.children];
    for (const d of Array.isArray(r.body) ? r.body : []) if (d.gateway === gw && d.endpoint === ep) appendEvent(eventsList, d, true);
    for (const i of live.reverse()) eventsList.prepend(i);
  } catch (e) { /* the login form, or nothing to show */ }
}
async function refreshDeviceHeader() {
  const gen = S.gen;
  if (!S.route || S.route.name !== 'device') return;
  try {
    const c = (await api('GET', '/api/clients/' + encodeURIComponent(S.route.ep), { params: { gateway: S.route.gw } })).body;
    if (gen === S.gen) fillHeader(c);
  } catch (e) { /* keep what is shown */ }
}
function fillHeader(c) {
  const st = $('#dev-status');
  if (!st || !c) return;
  S.client = c;
  st.replaceChildren(badge(c.status, null));
  if (c.queueMode) st.append(el('span', { class: 'tag', text: 'queue mode' }));
  $('#dev-sub').textContent = 'on ' + c.gateway;
  const dereg = c.deregistration ? (c.deregistration.expired ? 'expired ' : 'de-registered ') + ago(c.deregistration.at) : null;
  const attrs = Object.entries(c.additionalRegistrationAttributes || {}).map(([k, v]) => k + '=' + v).join(', ');
  const f = [['Endpoint', c.endpoint, 'mono'], ['Gateway', c.gateway, 'mono'], ['Registration ID', c.registrationId, 'mono'],
    ['LwM2M version', c.lwM2mVersion], ['Binding', c.bindingMode, 'mono'], ['Lifetime', c.lifetime !== undefined ? c.lifetime + ' s' : ''],
    ['Address', c.address, 'mono'], ['Registered', c.registrationDate ? timeEl(c.registrationDate) : '—'],
    ['Last update', timeEl(c.lastUpdate)], ['Last seen', timeEl(c.lastSeen)],
    ['SMS number', c.smsNumber], ['Root path', c.rootPath, 'mono'], ['Attributes', attrs], ['De-registration', dereg]];
  $('#facts').replaceChildren(...f.filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v, cls]) => el('div', { class: 'fact' }, el('dt', { text: k }), el('dd', { class: cls || null }, v instanceof Node ? v : String(v)))));
  const tree = $('#tree');
  if (tree && tree.childElementCount) for (const [oid, insts] of objectsOf(c)) { ensureObject(oid); for (const i of insts) ensureInstance(oid, i); }
}

// ---- device page: the object tree -----------------------------------------------------------------
function objectsOf(c) {
  const objs = new Map();
  for (const l of c.objectLinks || []) {
    const m = String(l.url || '').match(/\/(\d+)(?:\/(\d+))?$/);
    if (!m) continue;
    const o = +m[1];
    if (!objs.has(o)) objs.set(o, { insts: [], attrs: {} });
    if (m[2] !== undefined) objs.get(o).insts.push(+m[2]);
    else objs.get(o).attrs = l.attributes || {};
  }
  return [...objs].sort((a, b) => a[0] - b[0]).map(([o, v]) => [o, v.insts.sort((a, b) => a - b), v.attrs]);
}
function btn(testid, text, fn, opts) {
  opts = opts || {};
  const write = !!opts.write;
  return el('button', { type: 'button', 'data-testid': testid, class: [write ? 'w' : '', opts.cls || ''].join(' ').trim() || null,
    disabled: write && !isAdmin(), title: opts.title || null, onclick: fn }, text);
}
function simpleOp(method, path, suffix, label, extra) {
  return () => op(method, path + suffix, { params: opParams() }, label + ' ' + path, extra);
}
function renderTree(c) {
  const tree = $('#tree');
  const objs = objectsOf(c);
  for (const [oid, insts, attrs] of objs) {
    ensureObject(oid, attrs);
    for (const iid of insts) ensureInstance(oid, iid);
  }
  if (!objs.length) tree.append(el('div', { class: 'card notice muted', text: 'This device announced no object.' }));
}
function ensureObject(oid, attrs) {
  const p = '/' + oid;
  let row = byTestPath('object-row', p);
  if (row) return row.parentNode;
  const spec = S.specs.get(oid);
  const ver = attrs && attrs.ver ? 'v' + attrs.ver : '';
  const obj = el('section', { class: 'obj card', 'data-oid': oid },
    el('div', { class: 'orow', 'data-testid': 'object-row', 'data-path': p },
      el('span', { class: 'oname', text: spec ? spec.name : 'Object ' + oid }),
      el('span', { class: 'pill mono', text: p }), ver ? el('span', { class: 'pill', text: ver }) : null,
      spec ? (spec.multiple ? el('span', { class: 'muted small', text: 'multiple instances' }) : null) : el('span', { class: 'muted small', text: 'no model' }),
      el('span', { class: 'btns' },
        btn('btn-read', 'Read', simpleOp('GET', p, '', 'read')),
        btn('btn-discover', 'Discover', simpleOp('GET', p, '/discover', 'discover')),
        btn('btn-create', 'Create', () => createDialog(oid, spec), { write: true }))),
    el('div', { class: 'insts' }));
  // keep the objects in id order
  const tree = $('#tree');
  const next = [...tree.children].find((o) => o.dataset.oid !== undefined && +o.dataset.oid > oid);
  tree.insertBefore(obj, next || null);
  return obj;
}
function ensureInstance(oid, iid) {
  const p = '/' + oid + '/' + iid;
  const have = byTestPath('instance-row', p);
  if (have) return have.parentNode;
  const obj = ensureObject(oid);
  const spec = S.specs.get(oid);
  const table = el('table', { class: 'res' }, el('tbody'));
  const inst = el('div', { class: 'inst', 'data-iid': iid },
    el('div', { class: 'irow', 'data-testid': 'instance-row', 'data-path': p },
      el('span', { class: 'iname', text: 'Instance ' + iid }), el('span', { class: 'pill mono', text: p }),
      el('span', { class: 'obs-tag', text: 'observed' }),
      el('span', { class: 'btns' },
        btn('btn-read', 'Read', simpleOp('GET', p, '', 'read')),
        btn('btn-observe', 'Observe', simpleOp('POST', p, '/observe', 'observe', { observe: [p] }), { write: true }),
        btn('btn-cancel-observe', 'Cancel observe', simpleOp('DELETE', p, '/observe', 'cancel observe', { cancel: [p] }), { write: true }),
        btn('btn-discover', 'Discover', simpleOp('GET', p, '/discover', 'discover')),
        btn('btn-delete', 'Delete', simpleOp('DELETE', p, '', 'delete', { deleted: p }), { write: true, cls: 'danger' }))),
    table);
  const tb = table.tBodies[0];
  for (const r of (spec ? spec.resources : [])) tb.append(resourceRow(oid, iid, r));
  if (!spec) tb.append(el('tr', { class: 'hint' }, el('td', { colspan: 4, class: 'muted', text: 'No model for object ' + oid + ': read the instance to list its resources.' })));
  const insts = $('.insts', obj);
  const next = [...insts.children].find((i) => +i.dataset.iid > iid);
  insts.insertBefore(inst, next || null);
  return inst;
}
function resourceRow(oid, iid, r, unknown) {
  const p = '/' + oid + '/' + iid + '/' + r.id;
  const ops = r.operations || '';
  const b = [];
  if (ops.includes('R')) {
    b.push(btn('btn-read', 'Read', simpleOp('GET', p, '', 'read')));
    b.push(btn('btn-observe', 'Observe', simpleOp('POST', p, '/observe', 'observe', { observe: [p] }), { write: true }));
    b.push(btn('btn-cancel-observe', 'Cancel', simpleOp('DELETE', p, '/observe', 'cancel observe', { cancel: [p] }), { write: true, title: 'cancel the observation' }));
  }
  if (ops.includes('W')) b.push(btn('btn-write', 'Write', () => writeDialog(p, r), { write: true, cls: 'accent' }));
  if (ops.includes('E')) b.push(btn('btn-execute', 'Execute', () => execDialog(p, r), { write: true, cls: 'accent' }));
  b.push(btn('btn-discover', 'Discover', simpleOp('GET', p, '/discover', 'discover')));
  if (ops.includes('R') || ops.includes('W')) b.push(btn('btn-attributes', 'Attributes', () => attrDialog(p, r), { write: true, title: 'write-attributes (pmin, pmax, gt, lt, st)' }));
  const meta = [r.type && r.type !== 'NONE' ? r.type : (ops.includes('E') ? 'executable' : ''), r.multiple ? 'multiple' : '', r.units || ''].filter(Boolean).join(' · ');
  const row = el('tr', { 'data-testid': 'resource-row', 'data-path': p, 'data-type': r.type || '', class: unknown ? 'unknown' : null },
    el('td', { class: 'rid mono', text: r.id }),
    el('td', { class: 'rcell' }, el('div', { class: 'rname' }, el('span', { text: r.name }), el('span', { class: 'ops', text: ops || '—', title: 'operations' })),
      el('div', { class: 'rmeta2 muted small' }, el('span', { text: meta }), el('span', { class: 'obs-tag', text: 'observed' }))),
    el('td', { class: 'vcell' }, el('span', { class: 'value mono', 'data-testid': 'resource-value' }),
      r.units ? el('span', { class: 'units muted', text: r.units }) : null, r.type === 'TIME' ? el('span', { class: 'vnote muted' }) : null),
    el('td', { class: 'bcell' }, el('div', { class: 'btns' }, b)));
  row._spec = r;
  return row;
}
function ensureResourceRow(path, type) {
  const m = path.match(/^\/(\d+)\/(\d+)\/(\d+)$/);
  if (!m) return null;
  const inst = ensureInstance(+m[1], +m[2]);
  const hint = $('tr.hint', inst);
  if (hint) hint.remove();
  const r = { id: +m[3], name: 'Resource ' + m[3], type: type || '', operations: 'R', multiple: false, units: '' };
  const row = resourceRow(+m[1], +m[2], r, true);
  const tb = $('table.res tbody', inst);
  const next = [...tb.children].find((x) => x.dataset.path && +x.dataset.path.split('/')[3] > r.id);
  tb.insertBefore(row, next || null);
  return row;
}

// ---- values, charts ---------------------------------------------------------------------------------
function valueCell(row) { return $('[data-testid=resource-value]', row); }
function applyValues(values, opts) {
  opts = opts || {};
  if (!Array.isArray(values)) return;
  if (opts.reset) { // a read of a path: multi-resources under it are shown afresh
    for (const row of $$('[data-testid=resource-row]')) {
      const p = row.dataset.path;
      if ((p === opts.reset || p.startsWith(opts.reset + '/')) && row._multi) row._multi = new Map();
    }
  }
  for (const v of values) if (v && typeof v.path === 'string') setValue(v.path, v.value, v.type, opts);
}
function setValue(path, value, type, opts) {
  let row = byTestPath('resource-row', path);
  const m = path.match(/^(\/\d+\/\d+\/\d+)\/(\d+)$/);
  if (!row && m) { // an instance of a multiple resource
    row = byTestPath('resource-row', m[1]) || ensureResourceRow(m[1], type);
    if (!row) return;
    if (!row._multi) row._multi = new Map();
    row._multi.set(+m[2], value);
    showMulti(row, opts);
    return;
  }
  if (!row) row = ensureResourceRow(path, type);
  if (!row) return;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) { // {"0": v, ...}
    row._multi = new Map(Object.entries(value).map(([k, x]) => [+k, x]));
    showMulti(row, opts);
    return;
  }
  const cell = valueCell(row);
  cell.textContent = fmt(value);
  cell.title = fmt(value);
  cell.classList.toggle('bool-true', value === true);
  cell.classList.toggle('bool-false', value === false);
  const note = $('.vnote', row);
  if (note) note.textContent = row.dataset.type === 'TIME' && typeof value === 'number' ? new Date(value * 1000).toLocaleString() : '';
  if (opts.flash) flash(cell);
  if (opts.chart && typeof value === 'number' && isFinite(value)) drawChart(row, path, value);
}
function showMulti(row, opts) {
  const cell = valueCell(row);
  const entries = [...row._multi].sort((a, b) => a[0] - b[0]);
  cell.textContent = entries.map(([k, v]) => k + ': ' + fmt(v)).join(', ');
  cell.title = entries.map(([k, v]) => '[' + k + '] ' + fmt(v)).join('\n');
  if (opts && opts.flash) flash(cell);
}
function flash(cell) { cell.classList.remove('flash'); void cell.offsetWidth; cell.classList.add('flash'); }
function drawChart(row, path, value) {
  let pts = S.charts.get(path);
  if (!pts) { pts = []; S.charts.set(path, pts); }
  pts.push(value);
  if (pts.length > CHART_POINTS) pts.shift();
  const W = 220, H = 46, PAD = 4;
  let chart = $('svg[data-testid=resource-chart]', row);
  if (!chart) {
    chart = svg('svg', { 'data-testid': 'resource-chart', class: 'chart', viewBox: '0 0 ' + W + ' ' + H, preserveAspectRatio: 'none', role: 'img' });
    const wrap = el('div', { class: 'chartwrap' }, chart, el('div', { class: 'chartlab muted' }));
    $('.vcell', row).append(wrap);
  }
  const lo = Math.min(...pts), hi = Math.max(...pts), span = hi - lo || Math.abs(hi) || 1;
  const base = hi - lo ? lo : lo - span / 2;
  const sx = (i) => (pts.length === 1 ? W / 2 : PAD + (i * (W - 2 * PAD)) / (pts.length - 1));
  const sy = (v) => H - PAD - ((v - base) / span) * (H - 2 * PAD);
  const xy = pts.map((v, i) => [sx(i), sy(v)]);
  const line = xy.map(([x, y]) => x.toFixed(1) + ',' + y.toFixed(1)).join(' ');
  const [fx] = xy[0], [lx, ly] = xy[xy.length - 1];
  const kids = [
    svg('line', { x1: 0, x2: W, y1: H / 2, y2: H / 2, class: 'grid-line' }),
    svg('polygon', { points: fx.toFixed(1) + ',' + H + ' ' + line + ' ' + lx.toFixed(1) + ',' + H, class: 'area' }),
    svg('polyline', { points: line, class: 'line' }),
    svg('circle', { cx: lx.toFixed(1), cy: ly.toFixed(1), r: 2.6, class: 'dot' }),
  ];
  const title = svg('title');
  title.textContent = path + ': ' + pts.length + ' points, min ' + fmt(lo) + ', max ' + fmt(hi);
  chart.replaceChildren(title, ...kids);
  chart.setAttribute('data-points', String(pts.length));
  const lab = $('.chartlab', row);
  if (lab) lab.textContent = 'min ' + fmt(lo) + ' · max ' + fmt(hi) + ' · ' + pts.length + ' pts';
}
function markObserved() {
  for (const r of $$('[data-testid=resource-row], [data-testid=instance-row]')) {
    const p = r.dataset.path;
    const on = [...S.observed].some((o) => p === o || p.startsWith(o + '/'));
    r.classList.toggle('observed', on);
  }
}

// ---- operations and their result ------------------------------------------------------------------
function showResult(r) {
  const old = $('[data-testid=op-result]');
  if (!old) return;
  // a new element per answer: the previous answer is never mistaken for this one
  const box = el('div', { class: 'result r-' + r.status, 'data-testid': 'op-result', 'data-status': r.status, role: 'status' });
  const icon = { success: '✓', error: '✕', queued: '⏸', pending: '…' }[r.status] || '';
  box.append(el('div', { class: 'rhead' }, el('span', { class: 'ricon', text: icon }),
    el('span', { class: 'rtitle', text: r.title }), r.seq ? el('span', { class: 'rseq muted', text: '#' + r.seq }) : null));
  if (r.head) box.append(el('div', { class: 'rline', text: r.head }));
  if (r.message) box.append(el('div', { class: 'rmsg', text: r.message }));
  if (r.values && r.values.length) {
    box.append(el('table', { class: 'rvals' }, el('tbody', {}, r.values.map((v) => el('tr', {},
      el('td', { class: 'mono', text: v.path }), el('td', { class: 'mono strong', text: fmt(v.value) }), el('td', { class: 'muted small', text: v.type || '' }))))));
  }
  if (r.links) box.append(el('ul', { class: 'rlinks mono' }, r.links.map((l) => el('li', { text: l }))));
  const meta = [r.ticket && 'ticket ' + r.ticket, r.elapsed !== undefined && r.elapsed !== null && r.elapsed + ' ms', r.time && clock(r.time)].filter(Boolean).join(' · ');
  if (meta) box.append(el('div', { class: 'rmeta muted small', text: meta }));
  old.replaceWith(box);
}
// CoRE link format "</3/0>,</3/0/1>;pmin=2"; also accepted as a bracketed list "[</3/0>, </3/0/1>]"
function splitLinks(s) {
  if (Array.isArray(s)) return s.map(String);
  return String(s).trim().replace(/^\[([\s\S]*)\]$/, '$1').split(/,(?=\s*<)/).map((x) => x.trim()).filter(Boolean);
}
async function op(method, path, opts, label, extra) {
  extra = extra || {};
  const seq = ++S.seq;
  const gen = S.gen;
  showResult({ status: 'pending', title: label, head: 'waiting for ' + S.route.ep + ' …', seq });
  let r;
  try {
    r = await api(method, epPath(path), opts);
  } catch (e) {
    if (gen !== S.gen || seq !== S.seq) return null; // another page, or a newer operation shows
    const b = e.body || {};
    let head;
    if (e.status === 504) head = '504 timeout: the device did not answer in time';
    else if (e.status) head = e.status + ' ' + (b.code || 'error');
    else head = 'network error';
    showResult({ status: 'error', title: label, head, message: e.message, ticket: b.ticket, seq, time: Date.now() });
    return null;
  }
  if (gen !== S.gen) return null;
  const b = r.body || {};
  const latest = seq === S.seq; // an older answer updates the values, not the result panel
  if (r.status === 202 || b.status === 'queued') {
    if (!latest) return b;
    showResult({ status: 'queued', title: label, head: '202 queued: device is sleeping, the gateway holds the request',
      message: b.message || 'The answer will show in the event log when the device wakes up.', ticket: b.ticket, seq, time: Date.now() });
    return b;
  }
  const ok = b.success !== false;
  const vals = Array.isArray(b.values) ? b.values : [];
  const msg = [b.message && b.message !== b.code ? b.message : (!ok && CODE_TEXT[b.code]) || '', b.location ? 'created ' + b.location : ''].filter(Boolean).join(' — ');
  if (latest) showResult({ status: ok ? 'success' : 'error', title: label, head: (b.code || r.status) + (ok ? '' : ' (failed)'), message: msg,
    values: vals, links: b.objectLinks ? splitLinks(b.objectLinks) : null, ticket: b.ticket, elapsed: b.elapsedMs, seq, time: Date.now() });
  if (ok) {
    const base = path.replace(/\/(discover|attributes|observe)$/, '');
    applyValues(vals, { reset: method === 'GET' && !path.startsWith('/composite') ? base : null, chart: !!extra.observe });
    if (extra.observe) { for (const p of extra.observe) S.observed.add(p); markObserved(); }
    if (extra.cancel) { for (const p of extra.cancel) S.observed.delete(p); markObserved(); }
    if (b.location) { const m = String(b.location).match(/^\/(\d+)\/(\d+)$/); if (m) ensureInstance(+m[1], +m[2]); }
    if (extra.deleted) { const i = byTestPath('instance-row', extra.deleted); if (i) i.parentNode.remove(); }
  }
  return b;
}

// ---- dialogs ------------------------------------------------------------------------------------------
function dialog(testid, title, body, onOk, okId, okText) {
  const d = el('dialog', { 'data-testid': testid, class: 'dlg' });
  const err = el('p', { class: 'dlg-error error', hidden: true });
  const form = el('form', { method: 'dialog', novalidate: true }, el('h3', { text: title }), body, err,
    el('div', { class: 'dlgbtns' }, el('button', { type: 'button', onclick: () => d.close() }, 'Cancel'),
      el('button', { type: 'submit', 'data-testid': okId, class: 'primary' }, okText || 'OK')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    let problem = null;
    try { problem = onOk(); } catch (e) { problem = e.message; }
    if (problem) { err.textContent = problem; err.hidden = false; return; }
    d.close();
  });
  d.append(form);
  d.addEventListener('close', () => d.remove());
  document.body.append(d);
  d.showModal();
  const first = $('input:not([type=hidden]), select', d);
  if (first) { first.focus(); if (first.select) first.select(); }
  return d;
}
function field(label, input, hint) {
  return el('label', { class: 'field' }, el('span', { class: 'flabel', text: label }), input, hint ? el('span', { class: 'fhint muted small', text: hint }) : null);
}
function typedInput(type, testid, current) {
  const cur = current === undefined || current === null ? '' : String(current);
  if (type === 'BOOLEAN') {
    const s = el('select', { 'data-testid': testid }, el('option', { value: 'true', text: 'true' }), el('option', { value: 'false', text: 'false' }));
    if (cur === 'false') s.value = 'false';
    return s;
  }
  if (type === 'INTEGER') return el('input', { 'data-testid': testid, type: 'number', step: '1', value: cur, inputmode: 'numeric' });
  if (type === 'FLOAT') return el('input', { 'data-testid': testid, type: 'number', step: 'any', value: cur, inputmode: 'decimal' });
  if (type === 'TIME') return el('input', { 'data-testid': testid, type: 'number', step: '1', value: cur || String(Math.floor(Date.now() / 1000)), title: 'epoch seconds' });
  const ph = { OPAQUE: 'base64', OBJLNK: 'object:instance, e.g. 3:0' }[type] || '';
  return el('input', { 'data-testid': testid, type: 'text', value: cur, placeholder: ph, autocomplete: 'off' });
}
function timeHelper(input) { // a date-time picker feeding the epoch-seconds input of a TIME resource
  const dt = el('input', { type: 'datetime-local', step: '1', title: 'pick a date and time (local)' });
  const sync = () => {
    const n = parseInt(input.value, 10);
    if (isFinite(n)) { const d = new Date(n * 1000); dt.value = new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 19); }
  };
  dt.addEventListener('input', () => { const t = Date.parse(dt.value); if (isFinite(t)) input.value = String(Math.floor(t / 1000)); });
  input.addEventListener('input', sync);
  sync();
  return el('div', { class: 'timehelp' }, dt, el('button', { type: 'button', onclick: () => { input.value = String(Math.floor(Date.now() / 1000)); sync(); } }, 'Now'));
}
function typedValue(type, input, what) {
  const s = input.value;
  if (type === 'INTEGER' || type === 'TIME') {
    if (!/^\s*-?\d+\s*$/.test(s)) throw new Error(what + ': an integer is needed');
    return parseInt(s, 10);
  }
  if (type === 'FLOAT') {
    const n = Number(s);
    if (s.trim() === '' || !isFinite(n)) throw new Error(what + ': a number is needed');
    return n;
  }
  if (type === 'BOOLEAN') return s === 'true';
  return s;
}
function currentValue(p) {
  const row = byTestPath('resource-row', p);
  return row ? valueCell(row).textContent : '';
}
function writeDialog(p, r) {
  const id = +p.split('/')[3];
  const title = 'Write ' + r.name;
  const sub = el('p', { class: 'muted small mono', text: p + ' · ' + r.type + (r.multiple ? ' · multiple' : '') + (r.units ? ' · ' + r.units : '') });
  if (!r.multiple) {
    const input = typedInput(r.type, 'write-value', currentValue(p));
    dialog('write-dialog', title, [sub, field('Value', input, r.type === 'TIME' ? 'epoch seconds' : null), r.type === 'TIME' ? timeHelper(input) : null],
      () => { const value = typedValue(r.type, input, 'value'); op('PUT', p, { params: opParams(), body: { kind: 'singleResource', id, type: r.type, value } }, 'write ' + p); },
      'write-submit', 'Write');
    return;
  }
  const row = byTestPath('resource-row', p);
  const rows = el('div', { class: 'multi' });
  const addRow = (k, v) => {
    const i = typedInput(r.type, 'write-value-' + rows.children.length, v);
    rows.append(el('div', { class: 'mrow' }, el('input', { class: 'riid', type: 'number', min: '0', step: '1', value: k, title: 'instance id', 'data-testid': 'write-instance' }),
      i, el('button', { type: 'button', class: 'icon', title: 'remove', 'data-testid': 'write-remove', onclick: (ev) => ev.currentTarget.parentNode.remove() }, '✕')));
  };
  const existing = row && row._multi ? [...row._multi].sort((a, b) => a[0] - b[0]) : [];
  if (existing.length) for (const [k, v] of existing) addRow(k, v); else addRow(0, '');
  const replace = el('input', { type: 'checkbox', checked: true, 'data-testid': 'write-replace' });
  const add = el('button', { type: 'button', 'data-testid': 'write-add', onclick: () => {
    const ids = [...rows.children].map((x) => parseInt(x.children[0].value, 10)).filter(isFinite);
    addRow(ids.length ? Math.max(...ids) + 1 : 0, '');
  } }, '+ Add instance');
  dialog('write-dialog', title, [sub, el('div', { class: 'mhead muted small' }, el('span', { text: 'Instance' }), el('span', { text: 'Value' })), rows, add,
    el('label', { class: 'check' }, replace, ' Replace: instances not listed are removed')],
  () => {
    const values = {};
    for (const x of rows.children) {
      const k = x.children[0].value;
      if (!/^\d+$/.test(k)) throw new Error('instance ids are numbers ≥ 0');
      if (k in values) throw new Error('instance ' + k + ' is listed twice');
      values[k] = typedValue(r.type, x.children[1], 'instance ' + k);
    }
    op('PUT', p, { params: opParams({ replace: replace.checked ? 'true' : 'false' }), body: { kind: 'multiResource', id, type: r.type, values } }, 'write ' + p);
  }, 'write-submit', 'Write');
}
function execDialog(p, r) {
  const args = el('input', { 'data-testid': 'execute-args', placeholder: "e.g. 0='on',1", autocomplete: 'off' });
  dialog('execute-dialog', 'Execute ' + r.name, [el('p', { class: 'muted small mono', text: p }), field('Arguments (optional)', args, 'digit[=\'value\'], comma separated')],
    () => { op('POST', p, { params: opParams(), body: args.value.trim() ? { arguments: args.value.trim() } : {} }, 'execute ' + p); },
    'execute-submit', 'Execute');
}
function attrDialog(p, r) {
  const keys = [['pmin', 'minimum period (s)'], ['pmax', 'maximum period (s)'], ['gt', 'greater than'], ['lt', 'less than'], ['st', 'step']];
  const f = keys.map(([k, h]) => [k, el('input', { 'data-testid': 'attr-' + k, type: 'number', step: 'any', min: k.startsWith('p') ? '0' : null }), h]);
  dialog('attr-dialog', 'Write-attributes ' + (r ? r.name : p), [el('p', { class: 'muted small mono', text: p }),
    el('div', { class: 'attrs' }, f.map(([k, i, h]) => field(k, i, h)))],
  () => {
    const params = {};
    for (const [k, i] of f) {
      const v = i.value.trim();
      if (v === '') continue;
      if (!isFinite(Number(v))) throw new Error(k + ': a number is needed');
      params[k] = v;
    }
    if (!Object.keys(params).length) throw new Error('give at least one attribute');
    op('PUT', p + '/attributes', { params: opParams(params) }, 'write-attributes ' + p);
  }, 'attr-submit', 'Write attributes');
}
function createDialog(oid, spec) {
  const iid = el('input', { type: 'number', min: '0', step: '1', placeholder: 'chosen by the device', 'data-testid': 'create-id' });
  const fields = (spec ? spec.resources : []).filter((r) => (r.operations || '').includes('W') && !r.multiple)
    .map((r) => [r, typedInput(r.type, 'create-' + r.id), el('input', { type: 'checkbox', 'data-testid': 'create-use-' + r.id, title: 'include this resource' })]);
  for (const [, i, use] of fields) i.addEventListener('input', () => { use.checked = i.value !== ''; });
  for (const [r, i, use] of fields) if (r.type === 'BOOLEAN') i.addEventListener('change', () => { use.checked = true; });
  const body = [el('p', { class: 'muted small mono', text: '/' + oid + (spec ? ' · ' + spec.name : ' · no model') }), field('Instance id (optional)', iid)];
  if (fields.length) {
    body.push(el('div', { class: 'mhead muted small' }, el('span', { text: 'Writable resources (checked ones are sent)' })));
    body.push(el('div', { class: 'create-res' }, fields.map(([r, i, use]) => el('div', { class: 'crow' }, use,
      el('span', { class: 'crname' }, el('span', { text: r.name }), el('span', { class: 'muted small mono', text: ' /' + r.id + ' ' + r.type })), i))));
  } else body.push(el('p', { class: 'muted small', text: spec ? 'This object has no writable single resource: an empty instance is created.' : 'No model for this object: an empty instance is created.' }));
  dialog('create-dialog', 'Create an instance of ' + (spec ? spec.name : 'object ' + oid), body,
    () => {
      const resources = [];
      for (const [r, i, use] of fields) if (use.checked) resources.push({ kind: 'singleResource', id: r.id, type: r.type, value: typedValue(r.type, i, r.name) });
      const b = { kind: 'instance', resources };
      if (iid.value.trim() !== '') {
        if (!/^\d+$/.test(iid.value.trim())) throw new Error('the instance id is a number ≥ 0');
        b.id = +iid.value;
      }
      op('POST', '/' + oid, { params: opParams(), body: b }, 'create /' + oid);
    }, 'create-submit', 'Create');
}

document.addEventListener('DOMContentLoaded', boot);
