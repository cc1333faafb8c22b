{#- The field pages' service worker (served at /field/sw.js, scope /field). Rendered as a template only
    to keep it beside the pages; it holds no user data. -#}
// Keeps what an inspector opened (the field pages, the campaign's marker list) for use with no network.
// Network first: a page is always fetched afresh when there is a connection, and the cached copy is the
// fallback, both with no network and when the server cannot serve (5xx: its database away, a proxy's
// gateway error), since the inspector's kept page is then more use than the error. Only GET answers of this
// site under /field that are a page of a logged-in user are kept (a redirect to the login form is not); POSTs always go to the network and are never cached. The
// page script deletes the cache at logout (queue.js), so the next user of the phone sees none of it.
const FIELD_CACHE = 'xincheng-field-v1';
const NEVER_CACHED = ['/field/sw.js', '/field/session'];

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', event => event.waitUntil(self.clients.claim()));
// Each logout ('clear') starts a new generation: an answer asked for before it is not kept after it, so a
// request still under way at logout cannot put the previous user's page back on the phone.
let generation = 0;
self.addEventListener('message', event => {
  if (event.data && event.data.type === 'clear') {
    generation += 1;
    event.waitUntil(caches.delete(FIELD_CACHE));
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
  event.respondWith(networkFirst(request));
});

// An answer of the phone's own says so and why (X-Field-Kept: server, the server answered 5xx and this is
// the kept copy; network, no answer at all, and this is the kept copy or the phone's own "no network" page),
// so the page's script can tell the inspector what is wrong.
function keptCopy(kept, why) {
  const headers = new Headers(kept.headers);
  headers.set('X-Field-Kept', why);
  return new Response(kept.body, {status: kept.status, statusText: kept.statusText, headers});
}

async function networkFirst(request) {
  const asked = generation;
  try {
    const answer = await fetch(request);
    if (answer.ok && !answer.redirected && answer.type === 'basic' && asked === generation) {
      const cache = await caches.open(FIELD_CACHE);
      await cache.put(request, answer.clone());
    } else if (answer.status >= 500) {  // the server's error page only when nothing was kept
      const kept = await caches.match(request, {cacheName: FIELD_CACHE});
      if (kept) return keptCopy(kept, 'server');
    }
    return answer;
  } catch (offline) {
    const kept = await caches.match(request, {cacheName: FIELD_CACHE});
    if (kept) return keptCopy(kept, 'network');
    return new Response(
      '<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">' +
      '<title>没有网络</title><p>没有网络，本页也未保存在本机：请先在有网络时打开联检任务。</p>' +
      '<p>No network, and this page was not kept on this phone: open the campaign while online first.</p>' +
      '<p><a href="/field/campaigns">联检任务 Campaigns</a></p>',
      {status: 503, headers: {'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store',
                              'X-Field-Kept': 'network'}});
  }
}
