{#- The field pages' offline queue and service worker hookup; included inside a page's own nonce'd
    script (campaign and marker pages). Stored text is shown with textContent only. -#}
{% raw %}
// Records wait in IndexedDB ('xincheng-field' / 'queue', keyed by client id) from the moment they are
// saved, before any network attempt: closing the page or the phone sleeping loses nothing. The queue is
// sent one record at a time with a CSRF token fetched when sending (the page's own may be stale); a
// record stored (201) or stored before (200, same client id and content) leaves the queue; a refusal
// (4xx) stays, marked with the reason, for the inspector to fix or discard; an expired session (401)
// keeps everything and asks for a login. Each record belongs to the user who saved it and is sent
// only in that user's session.
const FIELD_DB = 'xincheng-field', FIELD_STORE = 'queue', FIELD_CACHE = 'xincheng-field-v1';

function fieldDb() {
  return new Promise((ok, bad) => {
    const open = indexedDB.open(FIELD_DB, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(FIELD_STORE, {keyPath: 'client_id'});
    open.onsuccess = () => ok(open.result);
    open.onerror = () => bad(open.error);
  });
}
async function fieldTx(mode, work) {
  const db = await fieldDb();
  return new Promise((ok, bad) => {
    const tx = db.transaction(FIELD_STORE, mode);
    const req = work(tx.objectStore(FIELD_STORE));
    let out;
    req.onsuccess = () => { out = req.result; };
    tx.oncomplete = () => { db.close(); ok(out); };
    tx.onerror = tx.onabort = () => { db.close(); bad(tx.error); };
  });
}
const fieldQueue = {
  put: item => fieldTx('readwrite', s => s.put(item)),
  get: id => fieldTx('readonly', s => s.get(id)),
  all: () => fieldTx('readonly', s => s.getAll()),
  remove: id => fieldTx('readwrite', s => s.delete(id)),
};
function fieldUsable() { return !!(window.indexedDB && window.fetch && window.FormData); }
function fieldNewId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, '');
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), b => b.toString(16).padStart(2, '0')).join('');
}

// The service worker keeps the pages; a campaign page opened online also keeps its marker list and
// every marker's form, so the whole campaign works with no network afterwards.
function fieldRegister() {
  if (!('serviceWorker' in navigator)) return Promise.resolve(null);
  return navigator.serviceWorker.register('/field/sw.js', {scope: '/field'}).catch(() => null);
}
// How the service worker served this page: 'fresh' (the server's answer, or no service worker between),
// or from the copy kept on this phone: 'slow' (a weak signal: no answer within its wait), 'network' (no
// answer), 'server' (the server's error), 'arrived' (a weak signal's late answer, kept moments ago); 'unknown'
// if the worker cannot tell (it was restarted since).
function fieldHowServed() {
  if (!(navigator.serviceWorker && navigator.serviceWorker.controller)) return Promise.resolve('fresh');
  return fieldAsk({type: 'how-served'}, 'unknown').then(String);
}
// Asks this page's service worker ``message`` and returns its answer, or ``otherwise`` if none comes in 3 s.
function fieldAsk(message, otherwise) {
  const worker = navigator.serviceWorker && navigator.serviceWorker.controller;
  if (!worker) return Promise.resolve(otherwise);
  return new Promise(resolve => {
    const channel = new MessageChannel();
    channel.port1.onmessage = event => resolve(event.data);
    worker.postMessage(message, [channel.port2]);
    setTimeout(() => resolve(otherwise), 3000);
  });
}
const FIELD_SERVED_TEXT = {
  slow: '网络慢：这是本机保存的页面，不是最新的；最新的页面取回后自动保存 · slow network: this is the copy kept on ' +
        'this phone, not the latest; the latest is kept when it arrives',
  network: '连不上服务器：这是本机保存的页面，不是最新的 · the server cannot be reached: this is the copy kept on ' +
           'this phone, not the latest',
  server: '服务器暂时无法服务：这是本机保存的页面，不是最新的 · the server cannot serve right now: this is the copy ' +
          'kept on this phone, not the latest',
  offline: '离线：这是本机保存的页面，不是最新的 · offline: this is the copy kept on this phone, not the latest',
  arrived: '这是刚刚取回并保存在本机的最新页面（网络慢，未再等待）· the latest copy, which has just arrived and is ' +
           'kept on this phone (slow network: not asked again)',
  unknown: '无法确认本页是否为最新 · cannot tell whether this page is the latest',
};
// How this page was served (a promise of fieldHowServed's answer), once fieldSayHowServed has asked.
let fieldServed = Promise.resolve('fresh');
// Says under the page's title when this page is a kept copy (never passing it off as current), and when a
// weak signal's late answer has arrived and been kept, offers to open it (body data-served: how it was served).
function fieldSayHowServed() {
  if (!('serviceWorker' in navigator)) return fieldServed;
  const note = document.createElement('p');
  note.id = 'served-state';
  note.setAttribute('role', 'status');
  const title = document.querySelector('main h1');
  if (title) title.after(note); else document.body.prepend(note);
  navigator.serviceWorker.addEventListener('message', event => {
    const here = location.href.split('#')[0];
    if (!event.data || event.data.type !== 'refreshed' || String(event.data.url).split('#')[0] !== here) return;
    note.className = 'ok';
    note.textContent = '最新的页面已取回并保存在本机，本页仍是之前保存的 · the latest copy has arrived and is kept; ' +
                       'this page is the earlier one: ';
    const reload = document.createElement('a');
    reload.href = here;  // without a #part: the same URL with one would not load the page again
    reload.textContent = '打开最新的页面 open the latest';
    // That copy, at once (no second wait on a weak signal), if it is still the one kept; else as any visit.
    reload.addEventListener('click', async e => {
      e.preventDefault();
      await fieldAsk({type: 'open-arrived', url: here, token: event.data.token}, false);
      location.assign(here);
    });
    note.appendChild(reload);
    document.body.dataset.served = 'refreshed';
  });
  fieldServed = fieldHowServed().then(how => {
    const said = how === 'network' && !navigator.onLine ? 'offline' : how;  // no answer, phone offline: offline
    if (document.body.dataset.served !== 'refreshed') {
      document.body.dataset.served = how;
      note.textContent = FIELD_SERVED_TEXT[said] || '';
      note.className = FIELD_SERVED_TEXT[said] ? 'warn' : '';
    }
    return how;
  });
  return fieldServed;
}

// Returns true (kept), false (not kept), 'unavailable': the server answered 5xx (itself or through the
// service worker, which then gave the copy kept before: X-Field-Kept: server), 'network': the server could
// not be reached although the phone counts as online (X-Field-Kept: network), or 'slow': it did not answer
// within the service worker's wait (X-Field-Kept: slow, a weak signal). Nothing is kept once the logout
// has begun (fieldLoggingOut).
async function fieldKeepCampaign(campaignId) {
  if (!('caches' in window) || !navigator.onLine) return false;
  const cache = await caches.open(FIELD_CACHE);
  const unavailable = new Error('unavailable');
  const unreachable = new Error('network');
  const slow = new Error('slow');
  const keep = async url => {
    const answer = await fetch(url, {credentials: 'same-origin', cache: 'no-store'});
    if (answer.headers.get('X-Field-Kept') === 'slow') throw slow;
    if (answer.headers.get('X-Field-Kept') === 'network') throw unreachable;
    if (answer.headers.get('X-Field-Kept') === 'server' || answer.status >= 500) throw unavailable;
    if (!answer.ok || answer.redirected) throw new Error(url + ' ' + answer.status);
    if (fieldLoggingOut) throw new Error('logging out');
    await cache.put(url, answer.clone());
    return answer;
  };
  try {
    const list = await (await keep(`/field/campaigns/${campaignId}/markers.json`)).json();
    for (const url of ['/field', '/field/campaigns', `/field/campaigns/${campaignId}`, ...list.markers.map(m => m.url)]) {
      await keep(url);
    }
    return true;
  } catch (err) {
    return err === unavailable ? 'unavailable' : err === unreachable ? 'network' : err === slow ? 'slow' : false;
  }
}

// Logging out deletes the kept pages (they hold this user's campaign data) before the logout is sent.
// Queued records stay: they are the previous user's unsent work, sent only in that user's session.
{% endraw %}{% include "field/logout.js" %}{% raw %}
let fieldRunning = null;
let fieldAgain = null;
const fieldListeners = [];
function fieldOnChange(listener) { fieldListeners.push(listener); }
async function fieldChanged(result) { for (const l of fieldListeners) await l(result); }

// Send the queue; returns {sent: [{client_id, saved_url, created}], offline, login, error}.
// A run already going may have read the queue before the record just saved: the caller then gets one
// more run after it, and what either sent (the form goes on to its saved page whichever run sent it).
function fieldSync() {
  if (fieldRunning) {
    if (!fieldAgain) {
      fieldAgain = fieldRunning.catch(() => ({sent: []})).then(first => { fieldAgain = null; return fieldSync().then(
        second => ({...second, sent: [...first.sent, ...second.sent]})); });
    }
    return fieldAgain;
  }
  const run = () => fieldSyncOnce();
  fieldRunning = (navigator.locks ? navigator.locks.request('xincheng-field-sync', run) : run())
    .finally(() => { fieldRunning = null; });
  return fieldRunning;
}
async function fieldSyncOnce() {
  const result = {sent: [], offline: false, login: false, error: null};
  const waiting = (await fieldQueue.all()).filter(i => i.state !== 'refused').sort((a, b) => a.saved_at.localeCompare(b.saved_at));
  if (!waiting.length) { await fieldChanged(result); return result; }
  let session;
  try {
    const answer = await fetch('/field/session', {credentials: 'same-origin', cache: 'no-store'});
    if (answer.status === 401) {
      result.login = true; result.error = (await answer.json()).error;
      await fieldChanged(result); return result;
    }
    if (!answer.ok) {  // the server is busy or its database away (503): nothing sent, tried again later
      let said = {};
      try { said = await answer.json(); } catch (err) { said = {}; }
      result.error = said.message || ('HTTP ' + answer.status);
      await fieldChanged(result); return result;
    }
    session = await answer.json();
  } catch (err) { result.offline = true; await fieldChanged(result); return result; }
  for (const item of waiting) {
    if (item.user !== session.username) continue;  // another user's record: sent in that user's session
    const body = new FormData();
    for (const [k, v] of Object.entries(item.fields)) body.append(k, v);
    body.append('client_id', item.client_id);
    body.append('csrf_token', session.csrf_token);
    if (item.photo) body.append('photo', item.photo, item.photo_name || 'photo.jpg');
    let answer;
    try {
      answer = await fetch(item.sync_url, {method: 'POST', body, credentials: 'same-origin', cache: 'no-store'});
    } catch (err) { result.offline = true; break; }
    let said = {};
    try { said = await answer.json(); } catch (err) { said = {}; }
    if (answer.status === 200 || answer.status === 201) {
      await fieldQueue.remove(item.client_id);
      result.sent.push({client_id: item.client_id, saved_url: said.saved_url, created: said.created});
    } else if (answer.status === 401) {
      result.login = true; result.error = said.error; break;
    } else if (answer.status >= 400 && answer.status < 500 && answer.status !== 408 && answer.status !== 429) {
      item.state = 'refused'; item.error = said.error || ('HTTP ' + answer.status); item.field = said.field || null;
      await fieldQueue.put(item);
    } else { result.error = said.message || said.error || ('HTTP ' + answer.status); break; }  // try again later
  }
  await fieldChanged(result);
  return result;
}

// The queue as the inspector sees it: "待同步 3 条" and each record, with a refusal's reason.
const FIELD_CONDITION = {intact: '完好 intact', damaged: '损坏 damaged', displaced: '移位 displaced',
                         missing: '丢失 missing', buried: '掩埋 buried'};
async function fieldShowQueue(box, user, last) {
  if (!box) return;
  const items = (await fieldQueue.all()).sort((a, b) => a.saved_at.localeCompare(b.saved_at));
  box.replaceChildren();
  const head = document.createElement('p');
  head.id = 'queue-count';
  head.textContent = items.length ? `待同步 ${items.length} 条 · ${items.length} waiting to be sent`
                                  : '没有待同步的记录 · nothing waiting to be sent';
  box.appendChild(head);
  if (last && last.login) {
    const p = document.createElement('p'); p.className = 'err'; p.id = 'queue-login';
    p.textContent = last.error || '登录已过期，请重新登录 · log in again';
    const a = document.createElement('a'); a.href = '/officer/login?next=' + encodeURIComponent(location.pathname);
    a.textContent = ' 重新登录 Log in'; p.appendChild(a); box.appendChild(p);
  } else if (last && last.offline && items.length) {
    const p = document.createElement('p'); p.id = 'queue-offline';
    p.textContent = '没有网络：联网后自动发送 · no network: sent automatically once online'; box.appendChild(p);
  } else if (last && last.error && items.length) {  // the server could not take them now (503): kept, retried
    const p = document.createElement('p'); p.id = 'queue-busy';
    p.textContent = '暂未发送，稍后自动重试 · not sent yet, tried again automatically：' + last.error; box.appendChild(p);
  }
  const list = document.createElement('ul'); list.id = 'queue-items';
  for (const item of items) {
    const li = document.createElement('li');
    li.dataset.clientId = item.client_id; li.dataset.state = item.state;
    const when = new Date(item.saved_at).toLocaleString('zh-CN', {hour12: false});
    li.textContent = `界桩 ${item.marker_no} · ${FIELD_CONDITION[item.fields.condition] || item.fields.condition} · ${when}` +
      (item.photo ? ' · 有照片 photo' : '') + ' · ';
    const state = document.createElement('span');
    if (item.state === 'refused') {
      state.className = 'err'; state.textContent = '被拒绝 refused：' + (item.error || '');
      const fix = document.createElement('a'); fix.href = item.page_url + '?edit=' + encodeURIComponent(item.client_id);
      fix.textContent = ' 修改 Fix'; state.appendChild(fix);
      const drop = document.createElement('button'); drop.type = 'button'; drop.textContent = '删除 Discard';
      drop.addEventListener('click', async () => {
        if (confirm('删除这条未上传的记录？ Discard this unsent record?')) {
          await fieldQueue.remove(item.client_id); fieldShowQueue(box, user, null);
        }
      });
      state.appendChild(drop);
    } else if (user && item.user !== user) {
      state.textContent = `属于 ${item.user}，请以该用户登录后发送 · belongs to ${item.user}: log in as them to send`;
    } else {
      state.textContent = '等待发送 waiting';
    }
    li.appendChild(state); list.appendChild(li);
  }
  box.appendChild(list);
  if (items.some(i => i.state !== 'refused')) {
    const again = document.createElement('button'); again.type = 'button'; again.id = 'sync-now';
    again.textContent = '立即同步 Send now';
    again.addEventListener('click', () => fieldSync());
    box.appendChild(again);
  }
}

// Send now; when the connection is not really there yet (the `online` event often comes before the
// first request can get through), try again a few seconds later while the phone says it is online.
function fieldSyncSoon(tries = 5) {
  return fieldSync().then(result => {
    if (result.offline && tries > 1 && navigator.onLine) setTimeout(() => fieldSyncSoon(tries - 1), 3000);
    return result;
  });
}
// Every field page: the service worker, the logout hook, and a send on load, on reconnecting, when the
// phone wakes (the page shown again) and every half minute while records wait.
function fieldStart(box, user) {
  fieldRegister();
  fieldHookLogout();
  fieldSayHowServed();
  if (!fieldUsable()) return;
  fieldOnChange(result => fieldShowQueue(box, user, result));
  fieldShowQueue(box, user, null).then(() => fieldSyncSoon());
  window.addEventListener('online', () => fieldSyncSoon());
  document.addEventListener('visibilitychange', () => { if (!document.hidden && navigator.onLine) fieldSyncSoon(); });
  setInterval(() => { if (navigator.onLine) fieldSync(); }, 30000);
}
{% endraw %}
