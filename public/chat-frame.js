/*
 * The chat window (views/pages/chat-frame.tsx), inside the widget's iframe on Casebook's own
 * origin. The visitor's session token lives in this origin's localStorage (partitioned per
 * host site by the browser); no cookie is used. Lines arrive over server-sent events read
 * with fetch (so the token goes in a header, not the URL), resumed with Last-Event-ID after
 * a drop; when streaming keeps failing, or a proxy holds the stream back, it polls instead, and
 * tries streaming again later (after 15 s, then 30 s, 1 min… up to 5 min) while it keeps polling:
 * once a stream delivers, polling stops. A stream that falls silent for two of its heartbeats
 * (the `ready` event says how often they come) was cut somewhere without a word — a proxy, a
 * NAT, a laptop's sleep — and is dropped and connected again like any other drop.
 */
(function () {
  'use strict';
  var body = document.body;
  var site = body.getAttribute('data-site');
  var host = body.getAttribute('data-host');
  var KEY = 'casebook-chat:' + site;
  var statusEl = document.getElementById('chat-status');
  var main = document.getElementById('chat-body');
  var token = null;
  try { token = localStorage.getItem(KEY); } catch (e) { token = null; }
  var lastSeq = 0;
  var ended = false;
  var mode = 'stream'; // 'stream', 'poll', or 'probe' (polling while a stream is tried again)
  var failures = 0;
  var END_ATTEMPTS = 3; // "End chat" asks at most this often (endChat)
  var END_WAIT_MS = 10000; // …waiting this long for each answer
  var STREAM_RETRY_FIRST = 15000;
  var STREAM_RETRY_MAX = 300000;
  var streamRetryDelay = 0;
  var streamRetryTimer = null;
  var streamAbort = null;
  // How long a stream may stay silent before it counts as cut: until its `ready` event tells the heartbeat.
  var silenceMs = 60000;
  // The last stream's id (its `ready` event): a reconnect names it, and the server closes it and
  // gives its place back (one cut without a word would hold it for many minutes).
  var streamId = null;
  var pollTimer = null;
  var typingTimer = null;
  var lastTypingSent = 0;
  var typingPending = null;
  var identity = null;
  var maxChars = 2000;
  if (location.hash.indexOf('#identity=') === 0) {
    try { identity = JSON.parse(decodeURIComponent(location.hash.slice(10))); } catch (e) { identity = null; }
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var k in attrs || {}) node.setAttribute(k, attrs[k]);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function status(text, offline) {
    statusEl.textContent = text;
    statusEl.className = 'chat-status' + (offline ? ' offline' : '');
  }
  // `waitMs`: an answer that has not come by then is given up (the request is cancelled), as
  // one the dropped connection lost: the error has no `status`.
  function api(method, path, data, waitMs) {
    var headers = { Accept: 'application/json' };
    if (token) headers.Authorization = 'Bearer ' + token;
    if (data !== undefined) headers['Content-Type'] = 'application/json';
    var controller = waitMs ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, waitMs) : null;
    var done = function () { clearTimeout(timer); };
    var sent = fetch(path, { method: method, headers: headers, body: data === undefined ? undefined : JSON.stringify(data), credentials: 'omit', cache: 'no-store', signal: controller ? controller.signal : undefined }).then(function (res) {
      if (res.status === 204) return null;
      return res.json().catch(function () { return {}; }).then(function (json) {
        if (!res.ok) { var err = new Error(json.detail || json.title || 'Something went wrong.'); err.status = res.status; err.code = json.code; err.errors = json.errors; throw err; }
        return json;
      });
    });
    sent.then(done, done);
    return sent;
  }
  function forget() {
    token = null;
    try { localStorage.removeItem(KEY); localStorage.removeItem(UNSENT); } catch (e) { /* private mode */ }
  }
  // What the visitor wrote and the chat does not have yet — the lines on their way (with their
  // ids) and the text in the box — kept beside the token: the host page's next page (a shop's
  // visitor clicks on), a reload or a closed tab cancel a request on its way and empty the box.
  // Before, that text was lost without a word; the window resumes the chat with it: the box as
  // it was, and the lines sent again with their ids (one that did arrive is written once).
  var UNSENT = KEY + ':unsent';
  // The host page is being left (its next page, a reload, the tab closed): what is on its way is
  // cancelled by the browser, and stays as saved (sendNext). Back from the back/forward cache: here again.
  var leaving = false;
  window.addEventListener('pagehide', function () { leaving = true; });
  window.addEventListener('pageshow', function () { leaving = false; });
  function saveUnsent() {
    if (!token || ended) return;
    var data = { token: token, lines: outbox.map(function (t) { return { id: t.id, text: t.text }; }), draft: input ? input.value : '' };
    try {
      if (!data.lines.length && !data.draft.trim()) localStorage.removeItem(UNSENT);
      else localStorage.setItem(UNSENT, JSON.stringify(data));
    } catch (e) { /* private mode: kept in this page only */ }
  }
  function dropUnsent() {
    try { localStorage.removeItem(UNSENT); } catch (e) { /* private mode */ }
  }
  function restoreUnsent(lines) {
    var saved = null;
    try { saved = JSON.parse(localStorage.getItem(UNSENT) || 'null'); } catch (e) { saved = null; }
    if (!saved || saved.token !== token) return;
    var written = {};
    lines.forEach(function (l) { if (l.clientId) written[l.clientId] = true; });
    if (typeof saved.draft === 'string' && saved.draft.trim() && !input.value) input.value = saved.draft;
    (saved.lines || []).forEach(function (t) { if (t && typeof t.text === 'string' && typeof t.id === 'string' && !written[t.id]) queueLine(t.text, t.id); });
  }
  function field(form, label, name, type, extra) {
    var id = 'f-' + name;
    form.appendChild(el('label', { for: id }, label));
    var input = el(type === 'textarea' ? 'textarea' : 'input', Object.assign({ id: id, name: name }, type === 'textarea' ? {} : { type: type }, extra || {}));
    form.appendChild(input);
    return input;
  }
  /** A refusal in the form's words: "Your e-mail: a valid e-mail address" for each field the server named. */
  function problemText(x, labels) {
    var fields = (x.errors || []).filter(function (e) { return labels[e.path]; });
    if (!fields.length) return x.message;
    return fields.map(function (e) { return labels[e.path] + ': ' + e.message + '.'; }).join(' ');
  }
  function errorLine(form) {
    var p = el('p', { class: 'error', role: 'alert' });
    form.appendChild(p);
    return p;
  }

  // ---- start: who are you / nobody there ----
  function showStart(info) {
    main.replaceChildren();
    if (info.greeting) main.appendChild(el('p', { class: 'chat-line system' }, info.greeting));
    var form = el('form', { id: 'chat-start', novalidate: '' });
    form.appendChild(el('p', { class: 'note' }, 'Tell us who you are and we will be right with you.'));
    var name = field(form, 'Your name', 'name', 'text', { autocomplete: 'name', required: '', maxlength: '200' });
    var email = field(form, 'Your e-mail', 'email', 'email', { autocomplete: 'email', required: '', maxlength: '254' });
    var err = errorLine(form);
    form.appendChild(el('button', { type: 'submit', class: 'primary' }, 'Start chat'));
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      err.textContent = '';
      var sent = whileSending(form, function () { return start({ name: name.value.trim(), email: email.value.trim() }); });
      if (sent) sent.catch(function (x) { err.textContent = problemText(x, { name: 'Your name', email: 'Your e-mail' }); });
    });
    main.appendChild(form);
    name.focus();
  }
  // A form on its way sends nothing more until its answer: a second press (a double click, or
  // pressing again on a slow network because nothing seemed to happen) left the message twice
  // (two cases), started two chats, mailed the transcript twice. Its fields are read-only
  // meanwhile and its buttons aria-disabled; the answer, or an error, gives it back.
  // Returns the request's promise, or null when the form is still on its way.
  function whileSending(form, request) {
    if (form.getAttribute('aria-busy') === 'true') return null;
    form.setAttribute('aria-busy', 'true');
    var undo = [];
    Array.prototype.forEach.call(form.elements, function (f) {
      if (f.tagName === 'BUTTON') {
        if (f.getAttribute('aria-disabled') === 'true') return;
        f.setAttribute('aria-disabled', 'true');
        undo.push(function () { f.removeAttribute('aria-disabled'); });
      } else if ((f.tagName === 'TEXTAREA' || f.tagName === 'INPUT') && !f.readOnly) {
        f.readOnly = true;
        undo.push(function () { f.readOnly = false; });
      }
    });
    var done = function () { form.removeAttribute('aria-busy'); undo.forEach(function (u) { u(); }); };
    var sent = request();
    sent.then(done, done);
    return sent;
  }
  function showOffline(info) {
    var a = info.availability;
    var when = a.reason === 'outside-hours' ? 'We are outside our opening hours' + (a.opensAt ? ' (back ' + new Date(a.opensAt).toLocaleString([], { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }) + ')' : '') : 'Nobody is available to chat right now';
    status(when + '. Leave a message and we will answer by e-mail.', true);
    main.replaceChildren();
    var form = el('form', { id: 'chat-offline', novalidate: '' });
    var name = field(form, 'Your name', 'name', 'text', { autocomplete: 'name', required: '' });
    var email = field(form, 'Your e-mail', 'email', 'email', { autocomplete: 'email', required: '' });
    var message = field(form, 'Your message', 'message', 'textarea', { required: '', rows: '5' });
    if (identity) { name.value = identity.name || ''; email.value = identity.email || ''; }
    var err = errorLine(form);
    form.appendChild(el('button', { type: 'submit', class: 'primary' }, 'Send message'));
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      if (form.getAttribute('aria-busy') === 'true') return;
      err.textContent = '';
      var left = { host: host, name: name.value.trim(), email: email.value.trim(), message: message.value.trim() };
      // The site signed this address (the user is signed in there): the message is not held for an agent's confirmation.
      if (identity && identity.signature && identity.email && String(identity.email).trim().toLowerCase() === left.email.toLowerCase()) {
        left.signature = identity.signature;
        if (typeof identity.exp === 'number') left.exp = identity.exp;
      }
      whileSending(form, function () { return api('POST', '/chat/api/sites/' + site + '/offline', left); }).then(function (res) {
        main.replaceChildren(el('p', { class: 'chat-line system', role: 'status' }, 'Thank you! Your message is ' + res.case + '; we will answer by e-mail.'));
      }, function (x) { err.textContent = problemText(x, { name: 'Your name', email: 'Your e-mail', message: 'Your message' }); });
    });
    main.appendChild(form);
  }
  function start(who) {
    var data = Object.assign({ host: host }, who);
    return api('POST', '/chat/api/sites/' + site + '/sessions', data).then(function (res) {
      token = res.token;
      streamId = null; // the chat before's stream is not this one's to replace
      try { localStorage.setItem(KEY, token); } catch (e) { /* kept in memory only */ }
      showChat();
      connect();
    });
  }

  // ---- the chat ----
  var linesEl, typingEl, input;
  function showChat() {
    status('Connected. An agent will answer shortly.');
    main.replaceChildren();
    sentLines = [];
    linesEl = el('ol', { class: 'chat-lines', id: 'chat-lines', 'aria-live': 'polite', 'aria-label': 'Messages' });
    typingEl = el('p', { class: 'chat-typing', id: 'chat-typing', 'aria-live': 'polite' });
    var form = el('form', { id: 'chat-send' });
    form.appendChild(el('label', { for: 'chat-input' }, 'Your message'));
    input = el('textarea', { id: 'chat-input', name: 'body', rows: '2', maxlength: String(maxChars) });
    form.appendChild(input);
    var err = errorLine(form);
    sendError = err;
    var row = el('div', { class: 'row' });
    row.appendChild(el('button', { type: 'submit', class: 'primary', id: 'chat-send-button' }, 'Send'));
    var endButton = el('button', { type: 'button', class: 'secondary', id: 'chat-end' }, 'End chat');
    row.appendChild(endButton);
    form.appendChild(row);
    main.appendChild(linesEl);
    main.appendChild(typingEl);
    main.appendChild(form);
    input.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
    });
    // "Is typing" at most every 3 s, and always once more after the last keystroke of a window
    // (trailing edge): a signal held back by the throttle is sent when the window ends.
    function sendTyping() {
      clearTimeout(typingPending);
      typingPending = null;
      if (input.value.trim() === '') return;
      lastTypingSent = Date.now();
      api('POST', '/chat/api/typing').catch(function () {});
    }
    input.addEventListener('input', function () {
      saveUnsent();
      var wait = 3000 - (Date.now() - lastTypingSent);
      if (wait <= 0) sendTyping();
      else if (!typingPending) typingPending = setTimeout(sendTyping, wait);
    });
    // A message leaves the box the moment it is sent: it shows in the lines as "Sending…" and
    // the box is the visitor's again at once. Before, the text stayed in the box until the answer
    // came and was then cleared: what the visitor typed meanwhile (the next line, on a slow
    // network) was wiped, and Enter meanwhile sent the first text again with the new words.
    // Lines sent meanwhile wait their turn (one request at a time, so they arrive in order).
    // A message that fails goes back into the box, ahead of anything typed since, with the
    // error; sent again unchanged it keeps its id (a dropped connection may have lost the answer,
    // not the message), so the server writes it once.
    outbox = [];
    afterSent = null;
    endAsked = false;
    retry = null;
    function messageId() {
      try { if (window.crypto && crypto.randomUUID) return crypto.randomUUID(); } catch (e) { /* not a secure context */ }
      return 'm' + Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
    }
    function written(item) {
      outbox.shift();
      saveUnsent();
      // The agent's page clears "is typing" when this line arrives: typing again says so at once.
      lastTypingSent = 0;
      if (typingPending) sendTyping();
      if (mode !== 'stream') poll();
      sendNext();
    }
    function sendNext() {
      var item = outbox[0];
      if (!item) {
        var waiting = afterSent;
        afterSent = null;
        if (waiting) waiting(true);
        return;
      }
      if (item.sending) return;
      item.sending = true;
      var box = outbox; // a new chat has a new one: an answer about the chat before changes nothing in it
      api('POST', '/chat/api/messages', { body: item.text, clientId: item.id }).then(function (res) {
        if (box !== outbox) return;
        // The line itself comes by the stream (or the next poll), in its place among the others;
        // it may have come already (it carries this message's id: addLine replaced "Sending…").
        item.seq = res && typeof res.seq === 'number' ? res.seq : 0;
        if (item.shown || item.seq <= lastSeq) item.li.remove();
        else sentLines.push(item);
        written(item);
      }, function (x) {
        if (box !== outbox) return;
        // Its line came by the stream: the message was written, only the answer was lost on the way.
        if (item.shown) return written(item);
        // The host page is being left: the browser cancelled the request, the network did not fail
        // it. The line stays one on its way, kept with its id for the next page (saveUnsent), which
        // sends it again (written once). Before, a cancellation that the leaving page still heard
        // moved the line into the box's kept text without its id: the next page showed it written
        // and had it in the box too, to be sent twice.
        if (leaving) return;
        var unsent = outbox.splice(0);
        unsent.forEach(function (t) { t.li.remove(); });
        // An End pressed meanwhile waited for these lines: it is not sent (the visitor sees why and decides).
        var waiting = afterSent;
        afterSent = null;
        if (waiting) waiting(false);
        // The chat ended before these lines reached it (the agent ended it, or the visitor went quiet):
        // they go, with anything typed since, into the message box of the next chat (showEnded).
        if (x.code === 'CHAT_ENDED') {
          carried = unsent.map(function (t) { return t.text; }).concat(carried);
          if (ended) return showCarried(); // the stream said so first
          return showEnded();
        }
        var back = unsent.map(function (t) { return t.text; }).join('\n');
        var typed = input.value.trim();
        input.value = typed ? back + '\n' + typed : back;
        // Sent again as it was, the message keeps its id; with other words it is another message.
        retry = unsent.length === 1 && !typed ? { text: back, id: unsent[0].id } : null;
        // No answer at all (the connection dropped): the message may have arrived; sending it again writes it once.
        saveUnsent();
        err.textContent = x.status === undefined ? 'The connection dropped: your message may not have been sent. Press Send again (it will not be sent twice).' : x.message;
      });
    }
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var text = input.value.trim();
      if (!text || ended) return;
      err.textContent = '';
      var id = retry && retry.text === text ? retry.id : messageId();
      retry = null;
      input.value = '';
      queueLine(text, id);
    });
    queueLine = function (text, id) {
      var li = el('li', { class: 'chat-line visitor pending' });
      li.appendChild(el('span', { class: 'who' }, 'You'));
      li.appendChild(document.createTextNode(text));
      li.appendChild(el('span', { class: 'chat-sending' }, 'Sending…'));
      linesEl.appendChild(li);
      linesEl.scrollTop = linesEl.scrollHeight;
      outbox.push({ text: text, id: id, li: li });
      saveUnsent();
      sendNext();
    };
    // "End chat" ends it once: pressed again while its answer is on its way (a double click, a
    // slow network) it sends nothing more, and an answer that comes after the visitor started a
    // new chat is not this window's any more. Lines on their way go first (one request at a time):
    // sent in parallel, the end could overtake them and they were refused and lost. "Answer me by
    // e-mail" (the offer to a visitor who waited, addLine) ends the chat the same way.
    endChat = function (button, extra) {
      if (ended || ending || endAsked || button.getAttribute('aria-disabled') === 'true') return;
      endAsked = true;
      button.setAttribute('aria-disabled', 'true');
      err.textContent = '';
      var mine = token;
      var giveBack = function () { if (token === mine) endAsked = false; button.removeAttribute('aria-disabled'); };
      whenSent(function (sent) {
        if (!sent || token !== mine || ended) return giveBack();
        ending = true; // the stream may say "ended" before this answer comes
        // Asked again when no answer came (the connection dropped, or the answer never came) or
        // the server failed for a moment: ending twice is harmless. Before, one dropped request
        // left the chat open, the button given back with "Failed to fetch", and one whose answer
        // never came left it open without a word, the button busy for good.
        (function ask(attempt) {
          markShown();
          api('POST', '/chat/api/end', Object.assign({ seen: shownSeq }, extra || {}), END_WAIT_MS).then(function () { if (token === mine) showEnded(true); }, function (x) {
            var again = token === mine && !ended && attempt < END_ATTEMPTS && (x.status === undefined || x.status >= 500);
            if (again) return setTimeout(function () { if (token === mine && !ended) ask(attempt + 1); }, 1000 * attempt);
            if (token === mine) ending = false;
            giveBack();
            if (token === mine && !ended) err.textContent = x.status === undefined ? 'The connection dropped before the chat ended. Press End chat again.' : x.message;
          });
        })(1);
      });
    };
    endButton.addEventListener('click', function () { endChat(endButton); });
    // Calls back once every line on its way has been written (true), or one failed (false); or
    // when a line's answer has not come within END_WAIT_MS (true): a request that is never
    // answered (a connection gone silent) held "End chat" for good, without a word. The chat then
    // ends; a line that reaches the server after the end is refused and shown as not sent
    // (CHAT_ENDED, sendNext), for the next chat.
    function whenSent(callback) {
      if (!outbox.length) return callback(true);
      var timer = null;
      var once = function (sent) {
        clearTimeout(timer);
        if (afterSent === once) afterSent = null;
        callback(sent);
      };
      afterSent = once;
      timer = setTimeout(function () { if (afterSent === once) once(true); }, END_WAIT_MS);
    }
    // Not sent in the chat that ended (showEnded): the visitor's again, to send here.
    if (carried.length) { input.value = carried.join('\n'); carried = []; }
    input.focus();
  }
  var answered = false; // an agent has written in this chat
  var sentLines = []; // the visitor's lines written, not yet shown (their "Sending…" line until they are)
  var outbox = []; // the visitor's lines on their way, oldest first (showChat sends them one at a time)
  var afterSent = null; // what waits for them: an "End chat" pressed meanwhile
  var ending = false; // the visitor asked to end this chat (its request is on its way)
  var endAsked = false; // the visitor pressed End chat or Answer me by e-mail: the end waits for the lines on their way, then goes (showChat's endChat)
  var endChat = null; // ends the chat once the lines on their way are written (showChat)
  var retry = null; // a message whose answer was lost, back in the box: { text, id } (sent again unchanged, it keeps its id)
  var sendError = null; // the message form's error line
  var queueLine = null; // sends a line (showChat)
  var carried = []; // what the visitor wrote and could not send before the chat ended: the next chat's box gets it
  // An agent answered, or the chat ended: the offer to be answered by e-mail instead is moot.
  function dropOffers() {
    if (!linesEl) return;
    Array.prototype.forEach.call(linesEl.querySelectorAll('.chat-offer'), function (b) { b.remove(); });
  }
  function addLine(line) {
    if (line.seq <= lastSeq) return; // already shown: a resumed stream never doubles a line
    lastSeq = line.seq;
    if (!linesEl) return;
    var li = el('li', { class: 'chat-line ' + line.author, 'data-seq': String(line.seq) });
    li.appendChild(el('span', { class: 'who' }, line.author === 'visitor' ? 'You' : line.name));
    li.appendChild(document.createTextNode(line.body));
    // Files of an agent's reply: fetched with the token (a header, so not a plain link), saved from a blob URL.
    (line.files || []).forEach(function (file) {
      var button = el('button', { type: 'button', class: 'chat-file' }, file.name + ' (' + fileSize(file.size) + ')');
      button.addEventListener('click', function () { download(file, button); });
      li.appendChild(button);
    });
    // Waited long for an agent: the offer to end the chat and be answered by e-mail (src/chat/waiting.ts).
    if (line.offer === 'email' && !ended) {
      var offer = el('button', { type: 'button', class: 'primary chat-offer', id: 'chat-answer-by-mail' }, 'Answer me by e-mail');
      // Lines still on their way are written first, as for End chat (endChat): the end overtook
      // them, and they were refused and their text lost.
      offer.addEventListener('click', function () { if (endChat) endChat(offer, { answerBy: 'email' }); });
      li.appendChild(offer);
    }
    // The visitor's own line, come by the stream (or a poll) before the answer to its POST: it
    // replaces its "Sending…" line (before, both showed until the answer came).
    if (line.author === 'visitor' && line.clientId) {
      outbox.concat(sentLines).forEach(function (t) { if (t.id === line.clientId) { t.shown = true; t.li.remove(); } });
      // Its answer was lost and it went back into the box ("may not have been sent"): it was, so
      // it leaves the box (unless the visitor changed it) and the error goes.
      if (retry && retry.id === line.clientId) {
        if (input && input.value.trim() === retry.text) input.value = '';
        if (sendError) sendError.textContent = '';
        retry = null;
      }
    }
    // Above the lines still on their way; a sent line that is now shown replaces its "Sending…" one.
    linesEl.insertBefore(li, linesEl.querySelector('.chat-line.pending'));
    sentLines = sentLines.filter(function (t) { if (t.seq > lastSeq) return true; t.li.remove(); return false; });
    linesEl.scrollTop = linesEl.scrollHeight;
    markShown();
    if (line.author === 'agent') { dropOffers(); typingEl.textContent = ''; if (!ended) status('Chatting with ' + line.name + '.'); acknowledge(); }
    else if (line.author === 'visitor' && !answered && !ended) status('Waiting for an agent to answer…');
    if (line.author === 'agent') answered = true;
  }
  // Tells the server the agent's lines shown so far, at once and then at most once a second (a
  // batch of lines, a resumed stream): replies the window never showed are mailed to the visitor
  // when the chat ends. Shown means on a visible page: a line that arrives while the tab is in
  // the background (or the window minimised) is acknowledged when the page is visible again,
  // and until then the poll's `after` and a resumed stream's Last-Event-ID, which the server
  // takes as acknowledgements too, stay at the last line shown (the lines after it come again
  // and are skipped). The same holds while the visitor has folded the window away (the widget
  // says so: `casebook-chat:shown`).
  var ackTimer = null, ackedSeq = 0, lastAckAt = 0, shownSeq = 0, folded = false;
  function pageVisible() { return document.visibilityState === 'visible' && !folded; }
  function markShown() { if (pageVisible() && lastSeq > shownSeq) shownSeq = lastSeq; }
  function sendAck() {
    ackTimer = null;
    markShown();
    if (!token || shownSeq <= ackedSeq) return;
    var seq = shownSeq;
    lastAckAt = Date.now();
    var mine = token;
    api('POST', '/chat/api/seen', { seq: seq }).then(function () { if (token === mine && seq > ackedSeq) ackedSeq = seq; }, function () {});
  }
  function acknowledge() {
    if (ackTimer || !pageVisible()) return;
    ackTimer = setTimeout(sendAck, Math.max(0, lastAckAt + 1000 - Date.now()));
  }
  function shownAgain() {
    if (!pageVisible()) return;
    markShown();
    if (shownSeq > ackedSeq) acknowledge();
  }
  document.addEventListener('visibilitychange', shownAgain);
  window.addEventListener('message', function (event) {
    if (event.source !== window.parent || event.origin !== host || !event.data || event.data.type !== 'casebook-chat:shown') return;
    folded = event.data.shown !== true;
    shownAgain();
  });
  function fileSize(n) {
    return n < 1024 ? n + ' B' : n < 1048576 ? Math.round(n / 1024) + ' KB' : (n / 1048576).toFixed(1) + ' MB';
  }
  function download(file, button) {
    button.disabled = true;
    fetch('/chat/api/files/' + file.id, { headers: { Authorization: 'Bearer ' + token }, credentials: 'omit', cache: 'no-store' }).then(function (res) {
      if (!res.ok) throw new Error('The file could not be downloaded.');
      return res.blob();
    }).then(function (blob) {
      var url = URL.createObjectURL(blob);
      var a = el('a', { href: url, download: file.name });
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
      button.disabled = false;
    }, function (x) { button.disabled = false; status(x.message, true); });
  }
  function showTyping(who) {
    typingEl.textContent = who.name + ' is typing…';
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { typingEl.textContent = ''; }, 5000);
  }

  // ---- transport: SSE over fetch, polling as the fallback ----
  function streaming() {
    // A stream delivers (its first event or a heartbeat): back from polling, if we were.
    failures = 0;
    if (ended || mode === 'stream') return;
    mode = 'stream';
    streamRetryDelay = 0;
    clearTimeout(pollTimer);
    clearTimeout(streamRetryTimer);
    status('Connected.');
  }
  function fallBackToPolling() {
    // Streaming keeps failing (a proxy in the way): poll, and try streaming again later, less and less often.
    mode = 'poll';
    streamRetryDelay = streamRetryDelay ? Math.min(streamRetryDelay * 2, STREAM_RETRY_MAX) : STREAM_RETRY_FIRST;
    clearTimeout(streamRetryTimer);
    streamRetryTimer = setTimeout(function () { if (!ended && mode === 'poll') { mode = 'probe'; connect(); } }, streamRetryDelay);
    poll();
  }
  function connect() {
    if (ended || !token) return;
    if (mode === 'poll') return poll();
    var controller = new AbortController();
    streamAbort = controller;
    var gotData = false;
    // The first event must come within 15 s; after it, the stream may be silent for silenceMs at most.
    var watchdog = null;
    var quietFor = function (ms) { clearTimeout(watchdog); watchdog = setTimeout(function () { controller.abort(); }, ms); };
    quietFor(15000);
    fetch('/chat/api/stream' + (streamId ? '?replaces=' + encodeURIComponent(streamId) : ''), { headers: { Authorization: 'Bearer ' + token, 'Last-Event-ID': String(shownSeq), Accept: 'text/event-stream' }, signal: controller.signal, credentials: 'omit', cache: 'no-store' })
      .then(function (res) {
        if (res.status === 403 || res.status === 404) { forget(); throw Object.assign(new Error('gone'), { fatal: true }); }
        if (!res.ok || !res.body) throw new Error('stream refused');
        var reader = res.body.getReader();
        var decoder = new TextDecoder();
        var buffer = '';
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) throw new Error('stream closed');
            buffer += decoder.decode(chunk.value, { stream: true });
            var parts = buffer.split('\n\n');
            buffer = parts.pop();
            for (var i = 0; i < parts.length; i++) handleEvent(parts[i], function () { gotData = true; if (statusEl.textContent === 'Reconnecting…') status('Connected.'); streaming(); });
            if (gotData) quietFor(silenceMs);
            return pump();
          });
        }
        return pump();
      })
      .catch(function (error) {
        clearTimeout(watchdog);
        if (ended) return;
        if (error && error.fatal) return boot();
        if (mode === 'probe') return fallBackToPolling(); // still failing: keep polling, try again later
        failures++;
        if (failures >= 3) return fallBackToPolling();
        status('Reconnecting…');
        var mine = token; // a reconnect of the chat before is not the new chat's (it opens its own stream)
        setTimeout(function () { if (token === mine) connect(); }, Math.min(1000 * failures, 5000));
      });
  }
  function handleEvent(raw, onData) {
    var event = 'message', data = '';
    raw.split('\n').forEach(function (line) {
      if (line.indexOf('event:') === 0) event = line.slice(6).trim();
      else if (line.indexOf('data:') === 0) data += line.slice(5).replace(/^ /, '');
    });
    if (raw.replace(/^:.*$/gm, '').trim() === '') { if (raw.indexOf(': heartbeat') === 0) onData(); return; }
    onData();
    if (event === 'message') addLine(JSON.parse(data));
    else if (event === 'typing') showTyping(JSON.parse(data));
    else if (event === 'ended') showEnded();
    else if (event === 'ready') {
      var ready = JSON.parse(data);
      var heartbeat = Number(ready.heartbeatSeconds);
      if (heartbeat > 0) silenceMs = (2 * heartbeat + 5) * 1000;
      if (typeof ready.stream === 'string') streamId = ready.stream;
    }
  }
  function poll() {
    clearTimeout(pollTimer);
    if (ended || !token || mode === 'stream') return;
    // An answer about the chat before (the visitor ended it and started a new one while this poll
    // was on its way) is not this chat's: before, it brought the old lines into the new chat and ended it.
    var mine = token;
    api('GET', '/chat/api/messages?after=' + shownSeq).then(function (res) {
      if (token !== mine) return;
      res.lines.forEach(addLine);
      // An answer that arrives after the chat ended (asked before the visitor ended it) is
      // read for its lines only: it must not bring "Connected" and the polling back.
      if (ended) return;
      if (res.session.state === 'ended') return showEnded();
      if (mode === 'stream') return; // a stream took over while this poll was under way
      status('Connected (checking for new messages every few seconds).');
      pollTimer = setTimeout(poll, 3000);
    }, function (x) {
      if (ended || token !== mine) return;
      if (x.status === 403 || x.status === 404) { forget(); return boot(); }
      pollTimer = setTimeout(poll, 5000);
    });
  }

  // ---- the end: transcript and CSAT ----
  // `own`: the visitor ended it (End chat, or to be answered by e-mail); otherwise the agent, the
  // inactivity sweep or the case's closing ended it while the visitor may have been typing.
  function showEnded(own) {
    if (ended) return;
    ended = true;
    dropUnsent();
    if (streamAbort) streamAbort.abort();
    clearTimeout(pollTimer);
    clearTimeout(streamRetryTimer);
    status('The chat has ended.');
    dropOffers();
    // Nobody types in an ended chat: an agent's "is typing" from just before the end goes with it.
    clearTimeout(typingTimer);
    if (typingEl) typingEl.textContent = '';
    var form = document.getElementById('chat-send');
    // What the visitor was typing (the agent, or the inactivity sweep, ended the chat meanwhile)
    // is not thrown away with the box: it is shown, and the next chat's box starts with it.
    if (!own && !ending && form && input && input.value.trim()) carried.push(input.value.trim());
    if (form) form.remove();
    var wrap = el('div', { id: 'chat-after' });

    var transcript = el('form', { id: 'chat-transcript' });
    var tButton = el('button', { type: 'submit', class: 'secondary' }, 'Email me the transcript');
    var tNote = el('p', { class: 'note', role: 'status' });
    transcript.appendChild(tButton);
    transcript.appendChild(tNote);
    transcript.addEventListener('submit', function (e) {
      e.preventDefault();
      var zone = '';
      try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch (x) { zone = ''; }
      var sent = whileSending(transcript, function () { return api('POST', '/chat/api/transcript', zone ? { timeZone: zone } : undefined); });
      if (sent) sent.then(function (res) { tNote.textContent = 'The transcript is on its way to ' + res.to + '.'; tButton.disabled = true; }, function (x) { tNote.textContent = x.message; });
    });
    var rating = el('form', { id: 'chat-rating' });
    rating.appendChild(el('p', { class: 'note' }, 'How was this chat?'));
    var comment = field(rating, 'Anything to add? (optional)', 'comment', 'textarea', { rows: '2', maxlength: '2000' });
    var row = el('div', { class: 'row' });
    var good = el('button', { type: 'submit', class: 'primary', value: 'yes', id: 'chat-rate-yes' }, 'Good');
    var bad = el('button', { type: 'submit', class: 'secondary', value: 'no', id: 'chat-rate-no' }, 'Not good');
    row.appendChild(good);
    row.appendChild(bad);
    rating.appendChild(row);
    var rNote = el('p', { class: 'note', role: 'status' });
    rating.appendChild(rNote);
    rating.addEventListener('submit', function (e) {
      e.preventDefault();
      var satisfied = e.submitter ? e.submitter.value === 'yes' : true;
      var sent = whileSending(rating, function () { return api('POST', '/chat/api/rating', { satisfied: satisfied, comment: comment.value.trim() }); });
      if (sent) sent.then(function () { rNote.textContent = 'Thank you for your feedback!'; }, function (x) { rNote.textContent = x.message; });
    });
    var again = el('button', { type: 'button', class: 'secondary', id: 'chat-new' }, 'Start a new chat');
    again.addEventListener('click', function () { forget(); ended = false; ending = false; endAsked = false; answered = false; lastSeq = 0; ackedSeq = 0; shownSeq = 0; mode = 'stream'; failures = 0; streamRetryDelay = 0; boot(); });
    wrap.appendChild(transcript);
    wrap.appendChild(rating);
    wrap.appendChild(el('form', {})).appendChild(again);
    main.appendChild(wrap);
    showCarried();
  }
  function showCarried() {
    var wrap = document.getElementById('chat-after');
    if (!wrap || !carried.length) return;
    var kept = document.getElementById('chat-unsent');
    if (!kept) {
      kept = el('div', { class: 'chat-unsent', id: 'chat-unsent', role: 'alert' });
      wrap.insertBefore(kept, wrap.firstChild);
    }
    kept.replaceChildren(el('p', { class: 'note' }, 'Not sent, because the chat had ended (a new chat starts with it):'), el('p', { class: 'chat-line visitor' }, carried.join('\n')));
  }

  // The address the host page says its signed-in user has, in the form the server keeps it
  // (lower case, NFC, the domain in its ASCII form), or '' when the page names nobody.
  function signedAddress() {
    if (!identity || !identity.email || !identity.signature) return '';
    var address = String(identity.email).trim().toLowerCase();
    try { address = address.normalize('NFC'); } catch (e) { /* kept as it is */ }
    var at = address.lastIndexOf('@');
    try { return address.slice(0, at + 1) + new URL('http://' + address.slice(at + 1)).hostname; } catch (e) { return address; }
  }
  // Whether the chat this browser kept is the current user's: on a shared computer the host
  // site's next user (or the same browser after signing out) must not get the last one's chat,
  // its lines and a verified session to write in. With a signed-in user: a chat of that address;
  // with nobody signed in: a chat nobody signed (a visitor's typed one). Otherwise it is forgotten.
  function belongsHere(session) {
    var signed = signedAddress();
    return signed ? session.email === signed : !session.verified;
  }
  function boot() {
    if (token) {
      api('GET', '/chat/api/session').then(function (res) {
        if (!belongsHere(res.session)) { forget(); return boot(); }
        showChat();
        res.lines.forEach(addLine);
        if (res.session.state === 'ended') return showEnded();
        restoreUnsent(res.lines);
        connect();
      }, function () { forget(); boot(); });
      return;
    }
    api('GET', '/chat/api/sites/' + site + '/status?host=' + encodeURIComponent(host)).then(function (info) {
      maxChars = info.maxMessageChars || maxChars;
      if (!info.availability.open) return showOffline(info);
      status(info.greeting || 'We are here. Start a chat!');
      if (identity && identity.email && identity.signature) {
        return start({ email: identity.email, name: identity.name || undefined, signature: identity.signature, exp: typeof identity.exp === 'number' ? identity.exp : undefined }).catch(function () { showStart(info); });
      }
      showStart(info);
    }, function (x) { status(x.message, true); });
  }

  document.getElementById('chat-close').addEventListener('click', function () {
    if (window.parent !== window) window.parent.postMessage({ type: 'casebook-chat:close' }, host);
  });
  boot();
})();
