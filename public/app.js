// Casebook's own script, loaded from our origin (CSP script-src 'self'; nothing inline).
// Pages work without it; it adds keyboard shortcuts, the browser's time zone, and stops a
// page's requests once it is on its way elsewhere.

// "/" focuses the search box in the top bar (unless the key is typed into a field).
document.addEventListener('keydown', (event) => {
  if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
  const target = event.target;
  if (target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
  const box = document.getElementById('jump-q');
  if (!(box instanceof HTMLInputElement)) return;
  event.preventDefault();
  box.focus();
  box.select();
});

// First visit with JavaScript: tell the server the browser's time zone, so times are shown in
// it (only while the account has none; a zone chosen on /profile always wins). Without
// JavaScript times stay in UTC until a zone is chosen.
document.addEventListener('DOMContentLoaded', () => {
  const body = document.body;
  if (!body || body.dataset.timeZone !== '') return;
  let zone = '';
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || '';
  } catch {
    return;
  }
  if (!zone) return;
  let csrf = '';
  try {
    csrf = JSON.parse(body.getAttribute('hx-headers') || '{}')['X-CSRF-Token'] || '';
  } catch {
    return;
  }
  const form = new URLSearchParams({ timeZone: zone, _csrf: csrf });
  fetch('/profile/time-zone', { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf }, body: form }).then((res) => {
    if (res.ok) body.dataset.timeZone = zone;
  }, () => undefined);
});

// A response that sends the page elsewhere (HX-Redirect: a full page load) ends this page's
// requests: no new one goes out, and the answers to those already under way are dropped. A poll
// answered while the next page loads would start a second navigation and abort the first (the
// case page's two polls, once the case had moved away, on a slow server: both answered with the
// redirect). A page restored from the back-forward cache is live again.
let leaving = false;
document.addEventListener('htmx:beforeOnLoad', (event) => {
  if (leaving) {
    event.preventDefault();
    return;
  }
  const xhr = event.detail && event.detail.xhr;
  if (xhr && xhr.getResponseHeader('HX-Redirect')) leaving = true;
});
document.addEventListener('htmx:beforeRequest', (event) => {
  if (leaving) event.preventDefault();
});
window.addEventListener('pageshow', (event) => {
  if (event.persisted) leaving = false;
});
