{#- What a logout and a login do to the field pages kept on this phone; included inside a nonce'd script by
    every page with the logout form (officer/base.html, home/map_nav.html), by the login form and by the field
    pages' queue.js. Safe to include twice on one page (var and function declarations). -#}
{% raw %}
// The field pages kept on this phone hold their user's campaign data: a logout from any page deletes them and
// tells the field pages' service worker to keep no answer asked for before it; so does a login that can go out
// (someone else may be logging in over the last user's session; with no network nothing is deleted). Records not yet sent stay in the phone's queue (IndexedDB),
// each sent only in its own user's session. With no network the server's session cannot be ended: the page
// says so and sends the logout itself as soon as the connection is back (while it stays open).
var fieldLoggingOut = false;
async function fieldForgetKept() {
  fieldLoggingOut = true;  // this page keeps nothing more, and the service worker keeps no answer asked before now
  try {
    const sw = navigator.serviceWorker;
    const worker = sw && (sw.controller || ((await sw.getRegistration('/field')) || {}).active);
    if (worker) worker.postMessage({type: 'clear'});
  } catch (err) { /* no service worker here */ }
  try { if ('caches' in window) await caches.delete('xincheng-field-v1'); } catch (err) { /* nothing kept */ }
}
async function fieldReachable() {
  try { await fetch('/field/session', {credentials: 'same-origin', cache: 'no-store'}); return true; }
  catch (err) { return false; }
}
function fieldHookLogout() {
  const form = document.querySelector("form[action='/officer/logout']");
  if (!form || form.dataset.fieldHooked) return;
  form.dataset.fieldHooked = '1';
  const send = () => { form.dataset.cleared = '1'; form.submit(); };
  form.addEventListener('submit', async e => {
    if (form.dataset.cleared) return;
    e.preventDefault();
    if (form.dataset.started) return;  // a second tap while the first is under way: one logout
    form.dataset.started = '1';
    await fieldForgetKept();
    if (await fieldReachable()) { send(); return; }
    let note = document.getElementById('logout-pending');
    if (!note) {
      note = document.createElement('p'); note.id = 'logout-pending'; note.className = 'err'; note.setAttribute('role', 'alert');
      (document.querySelector('main') || document.body).prepend(note);
    }
    note.textContent = '没有网络：本机保存的页面已删除，但服务器上的登录尚未退出；联网后本页会自动完成退出（请勿关闭本页）· ' +
      'no network: the pages kept on this phone are deleted, but the session on the server is still open; ' +
      'the logout finishes by itself once online (keep this page open)';
    if (!form.dataset.waiting) {
      form.dataset.waiting = '1';
      const retry = async () => { if (!form.dataset.cleared && await fieldReachable()) send(); };
      window.addEventListener('online', retry);
      setInterval(() => { if (navigator.onLine) retry(); }, 10000);
    }
  });
}
function fieldHookLogin() {
  const form = document.querySelector("form[action='/officer/login']");
  if (!form || form.dataset.fieldHooked) return;
  form.dataset.fieldHooked = '1';
  form.addEventListener('submit', async e => {
    if (form.dataset.cleared) return;
    e.preventDefault();
    if (form.dataset.started) return;
    form.dataset.started = '1';
    if (!(await fieldReachable())) {  // no login can go out: nothing is deleted, what was typed stays
      delete form.dataset.started;
      let note = document.getElementById('login-offline');
      if (!note) {
        note = document.createElement('p'); note.id = 'login-offline'; note.className = 'err';
        note.setAttribute('role', 'alert');
        form.before(note);
      }
      note.textContent = '没有网络，无法登录；本机保存的页面仍在，请联网后再登录 · no network: cannot log in now; the ' +
        'pages kept on this phone are still here: log in once online';
      return;
    }
    await fieldForgetKept();
    form.dataset.cleared = '1';
    form.submit();
  });
}
{% endraw %}
