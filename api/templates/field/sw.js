{#- The field pages' service worker (served at /field/sw.js, scope /field). Rendered as a template only
    to keep it beside the pages; it holds no user data. -#}
// Keeps what an inspector opened (the field pages, the campaign's marker list) for use with no network.
// Network first: a page is always fetched afresh when there is a connection, and the cached copy is the
// fallback. Only GET answers of this site under /field that are a page of a logged-in user are kept
// (a redirect to the login form is not); POSTs always go to the network and are never cached. The
// page script deletes the cache at logout (queue.js), so the next user of the phone sees none of it.
const FIELD_CACHE = 'xincheng-field-v1';
const NEVER_CACHED = ['/field/sw.js', '/field/session'];

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', event => event.waitUntil(self.clients.claim()));
self.addEventListener('message', event => {
  if (event.data && event.data.type === 'clear') event.waitUntil(caches.delete(FIELD_CACHE));
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

async function networkFirst(request) {
  try {
    const answer = await fetch(request);
    if (answer.ok && !answer.redirected && answer.type === 'basic') {
      const cache = await caches.open(FIELD_CACHE);
      await cache.put(request, answer.clone());
    }
    return answer;
  } catch (offline) {
    const kept = await caches.match(request, {cacheName: FIELD_CACHE});
    if (kept) return kept;
    return new Response(
      '<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">' +
      '<title>没有网络</title><p>没有网络，本页也未保存在本机：请先在有网络时打开联检任务。</p>' +
      '<p>No network, and this page was not kept on this phone: open the campaign while online first.</p>' +
      '<p><a href="/field/campaigns">联检任务 Campaigns</a></p>',
      {status: 503, headers: {'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store'}});
  }
}
