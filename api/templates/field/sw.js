{#- The field pages' service worker (served at /field/sw.js, scope /field). Rendered as a template only
    to keep it beside the pages; it holds no user data. -#}
// Keeps what an inspector opened (the field pages, the campaign's marker list) for use with no network.
// Network first: a page is always fetched afresh when there is a connection, and the cached copy is the
// fallback: with no network, when the server cannot serve (5xx: its database away, a proxy's gateway
// error), and on a weak signal (the phone counts as online but nothing has come back in WEAK_SIGNAL_MS),
// since the inspector's kept page is then more use than the error or the wait. Only GET answers of this
// site under /field that are a page of a logged-in user are kept (a redirect to the login form is not); POSTs
// always go to the network and are never cached. The page script deletes the cache at logout (queue.js), so
// the next user of the phone sees none of it.
// A kept copy is never passed off as current: its answer says why it was given (X-Field-Kept), and a page
// opened from one can ask how it was served ('how-served'); after a weak-signal copy the request goes on,
// and its late answer is kept (unless a logout came in between) and the page is told ('refreshed').
const FIELD_CACHE = 'xincheng-field-v1';
const NEVER_CACHED = ['/field/sw.js', '/field/session'];
const WEAK_SIGNAL_MS = 6000;  // no answer in 6 s with a copy kept: the kept copy now, the answer when it comes

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', event => event.waitUntil(self.clients.claim()));
// Each logout ('clear') starts a new generation: an answer asked for before it is not kept after it, so a
// request still under way at logout cannot put the previous user's page back on the phone.
let generation = 0;
// How each page was served (its client id → 'fresh', or from the kept copy: 'slow', 'network', 'server',
// 'arrived'), for the page's 'how-served' question, which takes its entry; a page the worker has no entry for
// (it was restarted since) is answered 'unknown', never 'fresh'.
const servedAs = new Map();
// What was kept last per page: the number of its request (every request is numbered as it is asked; a late
// answer never replaces a copy asked for after it) and a random token naming that copy. A page given the kept
// copy on a weak signal is told of every copy of its URL kept after, the late answer or any newer one
// ('refreshed', with that copy's token); its "open the latest" asks for exactly that copy ('open-arrived'),
// honoured once, within OPEN_ARRIVED_MS, in the same login, and only while that copy is still the one kept: it
// is then given at once ('arrived').
// The token rides on the kept copy itself (X-Field-Copy), so it outlives the worker being stopped when idle.
let asks = 0;
const keptAsk = new Map(), waitingFor = new Map();
const OPEN_ARRIVED_MS = 10000;
let openArrived = null;  // {url, token, until, generation}
const withoutHash = url => url.split('#')[0];

// A copy of ``url`` named ``token`` was just kept: tell the pages opened from an older one (each time a newer
// one is kept, so their offer is always of the newest; a page closed since is forgotten).
async function announce(url, token) {
  const waiting = waitingFor.get(url) || new Set();
  for (const id of [...waiting]) {
    const client = await self.clients.get(id);
    if (client) client.postMessage({type: 'refreshed', url, token}); else waiting.delete(id);
  }
}
self.addEventListener('message', event => {
  if (event.data && event.data.type === 'clear') {
    generation += 1;
    servedAs.clear();
    keptAsk.clear();
    waitingFor.clear();
    openArrived = null;
    event.waitUntil(caches.delete(FIELD_CACHE));
  } else if (event.data && event.data.type === 'how-served' && event.ports[0]) {
    const id = event.source && event.source.id;
    event.ports[0].postMessage(servedAs.get(id) || 'unknown');
    servedAs.delete(id);
  } else if (event.data && event.data.type === 'open-arrived' && event.ports[0]) {
    const url = withoutHash(String(event.data.url)), token = String(event.data.token), port = event.ports[0];
    event.waitUntil(caches.match(url, {cacheName: FIELD_CACHE}).then(kept => {
      const current = !!kept && kept.headers.get('X-Field-Copy') === token;
      if (current) openArrived = {url, token, until: Date.now() + OPEN_ARRIVED_MS, generation};
      port.postMessage(current);
    }));
  }
});

function fieldPath(url) {
  return url.origin === self.location.origin && (url.pathname === '/field' || url.pathname.startsWith('/field/'));
}

self.addEventListener('fetch', event => {
  const request = event.request;
  if (request.method !== 'GET') return;  // records and logins: straight to the network
  const url = new URL(request.url);
  if (!fieldPath(url) || NEVER_CACHED.includes(url.pathname)) return;
  event.respondWith(networkFirst(event));
});

// An answer of the phone's own says so and why (X-Field-Kept: server, the server answered 5xx and this is
// the kept copy; network, no answer at all, and this is the kept copy or the phone's own "no network" page;
// slow, no answer yet after WEAK_SIGNAL_MS, and this is the kept copy; arrived, the kept copy the page's "open
// the latest" named, given at once), so the page's script can tell the inspector what is wrong. A page opened
// from it is remembered for its 'how-served' question.
function keptCopy(event, kept, why) {
  if (event.resultingClientId) servedAs.set(event.resultingClientId, why);
  const headers = new Headers(kept.headers);
  headers.set('X-Field-Kept', why);
  return new Response(kept.body, {status: kept.status, statusText: kept.statusText, headers});
}

const WEAK = Symbol('weak signal');

async function networkFirst(event) {
  const request = event.request;
  const url = withoutHash(request.url);
  const asked = generation, ask = ++asks;
  const opening = openArrived;  // the page's "open it": that kept copy, at once (checked below)
  if (opening && opening.url === url) openArrived = null;
  // The fresh answer is kept when it is a logged-in user's page, no logout came since it was asked for, and no
  // copy asked for after it is kept already; also when it comes after the kept copy was given (a weak
  // signal's late answer). Resolves to [answer] (the answer as kept, named by X-Field-Copy, when it was).
  const fresh = fetch(request).then(async answer => {
    if (answer.ok && !answer.redirected && answer.type === 'basic' && asked === generation
        && (keptAsk.get(url) || 0) < ask) {
      const cache = await caches.open(FIELD_CACHE);
      if (asked === generation && (keptAsk.get(url) || 0) < ask) {
        keptAsk.set(url, ask);
        const token = self.crypto.randomUUID();
        const headers = new Headers(answer.headers);
        headers.set('X-Field-Copy', token);  // the page gets the copy as kept (a page keeping it keeps the name)
        const named = new Response(answer.body, {status: answer.status, statusText: answer.statusText, headers});
        await cache.put(request, named.clone());
        if (asked === generation && keptAsk.get(url) === ask) await announce(url, token);
        return [named];
      }
    }
    return [answer];
  });
  fresh.catch(() => {});  // no network: handled below, whenever it is awaited (not an unhandled rejection)
  const kept = await caches.match(request, {cacheName: FIELD_CACHE});
  if (kept && opening && opening.url === url && opening.generation === generation && Date.now() < opening.until
      && kept.headers.get('X-Field-Copy') === opening.token) {
    event.waitUntil(fresh.then(() => {}, () => {}));  // still asked: kept if it comes and is newer
    return keptCopy(event, kept, 'arrived');
  }
  let answer;
  try {
    answer = kept ? await Promise.race([fresh, new Promise(done => setTimeout(done, WEAK_SIGNAL_MS, [WEAK]))])
                  : await fresh;
  } catch (offline) {
    if (kept) return keptCopy(event, kept, 'network');
    return new Response(
      '<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">' +
      '<title>没有网络</title><p>没有网络，本页也未保存在本机：请先在有网络时打开联检任务。</p>' +
      '<p>No network, and this page was not kept on this phone: open the campaign while online first.</p>' +
      '<p><a href="/field/campaigns">联检任务 Campaigns</a></p>',
      {status: 503, headers: {'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store',
                              'X-Field-Kept': 'network'}});
  }
  const [given] = answer;
  if (given === WEAK) {
    const page = event.resultingClientId;
    if (page) waitingFor.set(url, (waitingFor.get(url) || new Set()).add(page));  // told of the next copy kept
    event.waitUntil(fresh.then(() => {}, () => {}));  // the late answer: kept above when it comes
    return keptCopy(event, kept, 'slow');
  }
  if (given.status >= 500 && kept) return keptCopy(event, kept, 'server');  // the server's error page only
  if (event.resultingClientId) servedAs.set(event.resultingClientId, 'fresh');  // when nothing was kept
  return given;
}
