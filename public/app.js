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

// Back and forward over a list whose form sets the address (the inbox's filters, the search box,
// the manager console's filters: the reports' period, the mail log, the customers, the problem
// library, the audit log): the page put back shows its fields as they were when it was left,
// not as its address says; the list below them is the address's. Before, after Forward to
// `/inbox?priority=high` the Priority filter read "Any priority" over the high cases alone (the
// next filter changed dropped the priority unseen), and after Back the search box was empty over
// the results of the search; after Back in the reports the period form showed the later period
// over the earlier one's numbers. The fields of a form marked `data-url-fields` follow the
// address (a field it does not name: its `data-url-default`, else empty; a checkbox is ticked
// when the address names its value). htmx restores its own history steps (`htmx:historyRestore`);
// a plain form's page comes back from the browser (`pageshow` of a back/forward navigation,
// after the browser has put back the fields as they were left).
function fieldsFromAddress() {
  const params = new URLSearchParams(location.search);
  for (const form of document.querySelectorAll('form[data-url-fields]')) {
    if (new URL(form.getAttribute('action') || location.href, location.href).pathname !== location.pathname) continue;
    for (const field of form.elements) {
      if (!field.name || !/^(INPUT|SELECT|TEXTAREA)$/.test(field.tagName) || /^(hidden|submit|button|radio|file)$/.test(field.type)) continue;
      if (field.type === 'checkbox') {
        field.checked = params.getAll(field.name).includes(field.value);
        continue;
      }
      const value = params.has(field.name) ? params.get(field.name) : field.dataset.urlDefault || '';
      if (field instanceof HTMLSelectElement && !Array.from(field.options).some((o) => o.value === value)) field.add(new Option(value, value));
      field.value = value;
    }
  }
}
document.addEventListener('htmx:historyRestore', fieldsFromAddress);
window.addEventListener('pageshow', (event) => {
  const navigation = performance.getEntriesByType('navigation')[0];
  if (event.persisted || (navigation && navigation.type === 'back_forward')) fieldsFromAddress();
});

// A form drawn again by the answer to its own request (marked `data-keep-typed`: the reports'
// period, the SLA calculator) keeps what was typed or chosen in it while that answer was on its
// way: the answer shows the form as it was sent. Before, a queue or a date changed after *Show*
// went back to the one sent, unseen, and the next *Show* asked for that again.
const sentForms = new WeakMap();
function formValues(form) {
  const values = {};
  for (const field of form.elements) {
    if (!field.id || !/^(INPUT|SELECT|TEXTAREA)$/.test(field.tagName) || /^(hidden|submit|button|file)$/.test(field.type)) continue;
    values[field.id] = field.type === 'checkbox' || field.type === 'radio' ? String(field.checked) : field.value;
  }
  return values;
}
document.addEventListener('htmx:configRequest', (event) => {
  const form = event.detail && event.detail.elt;
  if (form instanceof HTMLFormElement && form.hasAttribute('data-keep-typed')) sentForms.set(form, formValues(form));
});
let typedSinceSent = null;
document.addEventListener('htmx:beforeSwap', (event) => {
  typedSinceSent = null;
  const detail = event.detail;
  const form = detail && detail.requestConfig && detail.requestConfig.elt;
  if (!detail.shouldSwap || !(form instanceof HTMLFormElement) || !form.id || !sentForms.has(form) || !(detail.target instanceof Element) || !detail.target.contains(form)) return;
  const sent = sentForms.get(form);
  const now = formValues(form);
  const changed = Object.keys(now).filter((id) => now[id] !== sent[id]);
  if (changed.length > 0) typedSinceSent = { form: form.id, fields: changed.map((id) => ({ id, value: now[id] })) };
});
document.addEventListener('htmx:afterSwap', () => {
  const kept = typedSinceSent;
  typedSinceSent = null;
  if (!kept) return;
  for (const { id, value } of kept.fields) {
    const field = document.getElementById(id);
    if (!field || !field.form || field.form.id !== kept.form) continue;
    if (field.type === 'checkbox' || field.type === 'radio') field.checked = value === 'true';
    else if (!(field instanceof HTMLSelectElement) || Array.from(field.options).some((o) => o.value === value)) field.value = value;
  }
});

// A list asked for again at the address it has (Enter in the inbox's Tag filter sends the form on
// `change` and on `submit`) is not a new step in the history: before, Back then seemed to do
// nothing, showing the same list again.
document.addEventListener('htmx:beforeHistoryUpdate', (event) => {
  const update = event.detail && event.detail.history;
  if (update && update.type === 'push' && new URL(update.path, location.href).href === location.href) update.type = 'replace';
});

// The answer to a request whose target has left the page meanwhile is dropped whole: htmx swaps
// nothing into a detached target but still made its out-of-band parts. The inbox's live poll,
// answering after a change of filters had drawn the list anew, put back the old filters in the
// hidden fields of *Save as a view* and the bulk form: the view saved was not the list on screen.
// (The answer's events are dispatched on that detached target, so they never reach the document:
// the target itself listens, from its first request on.)
const guardedTargets = new WeakSet();
function dropIfDetached(event) {
  const detail = event.detail;
  if (detail && detail.target instanceof Element && !detail.target.isConnected) detail.shouldSwap = false;
}
document.addEventListener('htmx:beforeRequest', (event) => {
  const target = event.detail && event.detail.target;
  if (!(target instanceof Element) || guardedTargets.has(target)) return;
  guardedTargets.add(target);
  target.addEventListener('htmx:beforeSwap', dropIfDetached);
});

// A form sent from a page opened before the latest sign-in or sign-out in another tab is refused
// (nothing done, the text stays in the form, an alert says so) with the session's current CSRF
// token in `X-CSRF-Token` (src/http/pages/session-ended.tsx): the page takes it, for htmx's
// requests (<body hx-headers>) and its forms' `_csrf` fields, so sending again works.
document.addEventListener('htmx:afterRequest', (event) => {
  const xhr = event.detail && event.detail.xhr;
  const token = xhr && xhr.getResponseHeader('X-CSRF-Token');
  if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token) || !document.body) return;
  let headers = {};
  try {
    headers = JSON.parse(document.body.getAttribute('hx-headers') || '{}');
  } catch {
    headers = {};
  }
  headers['X-CSRF-Token'] = token;
  document.body.setAttribute('hx-headers', JSON.stringify(headers));
  for (const field of document.querySelectorAll('input[name="_csrf"]')) field.value = token;
});

// Focus after a swap. htmx puts the focus back on the element of the same id when the new
// content has one; when it has none (a transition the case no longer offers after it was used)
// or that element is hidden (a form inside a disclosure that came back closed), the browser
// leaves the focus on <body>, and a keyboard or screen-reader user starts again from the top
// of the page. The focus then goes to the nearest thing that survived the swap: the hidden
// element's disclosure (its <summary>), the form's main button, else the heading of the panel
// it was in (the case's Actions), else the main content. The result itself is announced by the
// status message (#flash, aria-live).
let focusedBefore = null;
document.addEventListener('htmx:beforeSwap', () => {
  const active = document.activeElement;
  // Nothing focused: keep what an earlier swap saw (a command's answer triggers a refresh of the
  // inbox counts, whose swap comes before the command's own swap settles).
  if (!(active instanceof HTMLElement) || active === document.body) return;
  const form = active.closest('form');
  const panel = active.closest('section[id], [role="region"][id]');
  focusedBefore = { element: active, id: active.id, form: form ? form.id : '', panel: panel ? panel.id : '' };
});

function visible(element) {
  return element instanceof HTMLElement && !element.closest('details:not([open]) > :not(summary)') && element.getClientRects().length > 0;
}

function focusOn(element) {
  if (!(element instanceof HTMLElement)) return false;
  if (element.tabIndex < 0 && !element.hasAttribute('tabindex')) element.setAttribute('tabindex', '-1');
  element.focus();
  return document.activeElement === element;
}

// A closed disclosure's summary, for an element inside it; the element itself when it shows.
function reachable(element) {
  if (!(element instanceof HTMLElement)) return null;
  if (visible(element)) return element;
  const closed = element.closest('details:not([open])');
  const summary = closed && closed.querySelector(':scope > summary');
  return summary && visible(summary) ? summary : null;
}

document.addEventListener('htmx:afterSettle', () => {
  const before = focusedBefore;
  if (!before) return;
  const active = document.activeElement;
  if (active && active !== document.body && document.body.contains(active)) {
    focusedBefore = null;
    return;
  }
  focusedBefore = null;
  if (document.body.contains(before.element) && visible(before.element) && focusOn(before.element)) return;
  const byId = (id) => (id ? document.getElementById(id) : null);
  const form = byId(before.form);
  const buttons = form ? Array.from(form.querySelectorAll('button[type="submit"], button:not([type])')).filter(visible) : [];
  const button = buttons.find((b) => b.classList.contains('button-primary')) || buttons[0];
  const panel = byId(before.panel);
  const labelledBy = panel && panel.getAttribute('aria-labelledby');
  const heading = (labelledBy && byId(labelledBy)) || (panel && panel.querySelector('h1, h2, h3'));
  const candidates = [reachable(byId(before.id)), form && !visible(form) ? reachable(form) : null, button, heading, document.querySelector('main')];
  for (const candidate of candidates) if (candidate && focusOn(candidate)) return;
});

// A form on its way (`data-sending`: the composer, the customer's reply, a new request) is
// read-only until its answer comes: text typed into it meanwhile would be replaced by that answer
// and lost (a slow upload, a slow server). The form says so: `aria-busy`, its buttons
// `aria-disabled` (not `disabled`: the button pressed keeps the focus), a status line with the
// form's `data-sending` text next to them, and nothing in it can be typed, chosen or pressed
// until the answer (or an error: then everything is as it was, the text still there).
const sendingLocks = new WeakMap();
const TYPED = /^(text|search|email|url|tel|password|number|date|datetime-local|month|week|time)$/;

function lockForm(form, submitter) {
  if (sendingLocks.has(form)) return;
  const undo = [];
  const focused = document.activeElement;
  for (const field of Array.from(form.elements)) {
    if (field instanceof HTMLButtonElement || (field instanceof HTMLInputElement && /^(submit|button|reset|image)$/.test(field.type))) {
      if (field.getAttribute('aria-disabled') === 'true') continue;
      field.setAttribute('aria-disabled', 'true');
      undo.push(() => field.removeAttribute('aria-disabled'));
    } else if (field instanceof HTMLTextAreaElement || (field instanceof HTMLInputElement && TYPED.test(field.type))) {
      if (field.readOnly) continue;
      field.readOnly = true;
      undo.push(() => (field.readOnly = false));
    } else if ((field instanceof HTMLSelectElement || field instanceof HTMLInputElement) && field.type !== 'hidden' && !field.disabled && field !== focused) {
      field.disabled = true;
      undo.push(() => (field.disabled = false));
    }
  }
  form.setAttribute('aria-busy', 'true');
  const status = document.createElement('p');
  status.className = 'form-sending';
  status.setAttribute('role', 'status');
  const anchor = submitter instanceof HTMLElement && form.contains(submitter) ? submitter.closest('.composer-buttons') || submitter : null;
  if (anchor) anchor.insertAdjacentElement('afterend', status);
  else form.appendChild(status);
  // Filled once in the page, so that it is announced as a change.
  setTimeout(() => {
    if (status.isConnected) status.textContent = form.getAttribute('data-sending') || 'Sending…';
  }, 0);
  sendingLocks.set(form, () => {
    for (const step of undo) step();
    form.removeAttribute('aria-busy');
    status.remove();
  });
}

function unlockForm(form) {
  const unlock = sendingLocks.get(form);
  if (!unlock) return;
  sendingLocks.delete(form);
  unlock();
}

// beforeRequest comes after htmx has read the form: what was sent is what it shows now.
document.addEventListener('htmx:beforeRequest', (event) => {
  if (event.defaultPrevented) return; // not sent (the page is on its way elsewhere): no answer will unlock it
  const detail = event.detail || {};
  const form = detail.elt;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-sending')) return;
  const trigger = detail.requestConfig && detail.requestConfig.triggeringEvent;
  lockForm(form, (trigger && trigger.submitter) || document.activeElement);
});
document.addEventListener('htmx:afterRequest', (event) => {
  const form = event.detail && event.detail.elt;
  if (form instanceof HTMLFormElement) unlockForm(form);
});

// Nothing in a form on its way is pressed or sent again (Enter in a field, a click on any of its buttons).
function busyForm(target) {
  const form = target instanceof Element ? target.closest('form[aria-busy="true"]') : null;
  return form && sendingLocks.has(form) ? form : null;
}
document.addEventListener(
  'submit',
  (event) => {
    if (!busyForm(event.target)) return;
    event.preventDefault();
    event.stopImmediatePropagation();
  },
  true,
);
document.addEventListener(
  'click',
  (event) => {
    const target = event.target instanceof Element ? event.target.closest('button, input[type="submit"], input[type="image"]') : null;
    if (!target || !busyForm(target)) return;
    event.preventDefault();
    event.stopImmediatePropagation();
  },
  true,
);
