/*
 * The live chat panel on a chat case's page (views/partials/chat-panel.tsx): streams the
 * chat's new lines and the visitor's typing from /cases/:id/chat/stream (EventSource, which
 * reconnects by itself with Last-Event-ID), tells the visitor when the agent types in the
 * composer, and refreshes the rest of the page through its live poll when a line arrives or
 * the chat ends (the poll then re-renders the panel itself).
 * The panel may be re-rendered by htmx: the stream is kept per URL and lines are matched
 * by sequence number, so none is shown twice. A stream silent for two of its heartbeats (the
 * `ready` event says how often they come) was cut without a word somewhere on the way, which
 * EventSource never notices: it is closed and opened again from the last line shown, naming
 * the stream it replaces (the server closes that one and gives its place back).
 */
(function () {
  'use strict';
  var source = null;
  var url = null;
  var silence = null;
  var silenceMs = 60000; // until the stream's `ready` event tells its heartbeat
  // The last stream's id (its `ready` event): the next stream names it, and the server closes it
  // and gives its place back (one cut without a word would hold one of the sign-in's for minutes).
  var streamId = null;
  var typingTimer = null;
  var lastTypingSent = 0;
  var typingPending = null;
  // What "is typing" says and until when: kept here, because the live poll may re-render the
  // panel (a new line bumps the case) just after a typing signal arrived.
  var typingText = '';
  var typingUntil = 0;

  function panel() { return document.getElementById('chat-panel'); }
  function lastSeq() {
    var items = document.querySelectorAll('#chat-lines > li[data-seq]');
    return items.length ? Number(items[items.length - 1].getAttribute('data-seq')) : 0;
  }
  function pad(n) { return n < 10 ? '0' + n : String(n); }
  function addLine(line) {
    var list = document.getElementById('chat-lines');
    if (!list || line.seq <= lastSeq()) return;
    var li = document.createElement('li');
    li.className = 'chat-line chat-' + line.author;
    li.setAttribute('data-seq', String(line.seq));
    var at = new Date(line.at);
    var who = document.createElement('span');
    who.className = 'chat-who';
    if (line.author !== 'system') {
      var name = document.createElement('bdi');
      name.textContent = line.name;
      who.appendChild(name);
    }
    who.appendChild(document.createTextNode(' '));
    // In the agent's zone, named, as the page shows times (the stream sends it: views/time.tsx).
    var time = document.createElement('time');
    time.setAttribute('datetime', at.toISOString());
    time.textContent = line.time || pad(at.getUTCHours()) + ':' + pad(at.getUTCMinutes()) + ' UTC';
    who.appendChild(time);
    var text = document.createElement('span');
    text.className = 'chat-text';
    text.textContent = line.body;
    li.appendChild(who);
    li.appendChild(document.createTextNode(' '));
    li.appendChild(text);
    list.appendChild(li);
    if (line.author === 'visitor') showTyping('', 0);
    // The visitor's window clears "is typing" when our line arrives: typing again says so at once.
    if (line.author === 'agent') {
      lastTypingSent = 0;
      if (typingPending) sendTyping();
    }
  }
  function showTyping(text, forMs) {
    typingText = text;
    typingUntil = text ? Date.now() + forMs : 0;
    clearTimeout(typingTimer);
    if (text) typingTimer = setTimeout(function () { showTyping('', 0); }, forMs);
    var typing = document.getElementById('chat-typing');
    if (typing) typing.textContent = text;
  }
  function restoreTyping() {
    var typing = document.getElementById('chat-typing');
    if (typing && typingText && Date.now() < typingUntil) typing.textContent = typingText;
  }
  function refreshPage() {
    var poll = document.getElementById('case-poll');
    if (poll && window.htmx) window.htmx.ajax('GET', poll.getAttribute('hx-get'), { source: poll, swap: 'none' });
  }
  // The stream said something (any event): it lives. Silent for silenceMs, it is opened again.
  function heard() {
    clearTimeout(silence);
    silence = setTimeout(function () {
      if (!source) return;
      source.close();
      source = null;
      url = null;
      connect();
    }, silenceMs);
  }
  function connect() {
    var p = panel();
    var want = p ? p.getAttribute('data-stream') : null;
    if (want === url) return;
    clearTimeout(silence);
    if (source) source.close();
    source = null;
    url = want;
    if (!want) return;
    source = new EventSource(want + '?after=' + lastSeq() + (streamId ? '&replaces=' + encodeURIComponent(streamId) : ''));
    heard();
    source.addEventListener('ready', function (e) {
      var ready = JSON.parse(e.data);
      var heartbeat = Number(ready.heartbeatSeconds);
      if (heartbeat > 0) silenceMs = (2 * heartbeat + 5) * 1000;
      if (typeof ready.stream === 'string') streamId = ready.stream;
      heard();
      var p2 = panel();
      if (p2) p2.setAttribute('data-connected', 'true');
    });
    source.addEventListener('heartbeat', heard);
    source.addEventListener('message', function (e) { heard(); addLine(JSON.parse(e.data)); refreshPage(); });
    source.addEventListener('typing', function (e) {
      heard();
      var who = JSON.parse(e.data);
      showTyping(who.name + ' is typing…', 5000);
    });
    source.addEventListener('ended', function () {
      // The chat is over: the live poll brings the panel as it is now (who ended it, no "End chat"),
      // without the visitor's "is typing" from just before the end (kept across re-renders otherwise).
      clearTimeout(silence);
      showTyping('', 0);
      if (source) source.close();
      source = null;
      url = null;
      refreshPage();
    });
    source.addEventListener('error', function () {
      // Refused (e.g. 429: this sign-in already streams in STAFF_STREAMS windows) or not found:
      // EventSource gives up without saying why. The rest of the page keeps its live poll.
      if (!source || source.readyState !== 2) return;
      clearTimeout(silence);
      source = null;
      // Kept (as a typing line is) when the live poll re-renders the panel.
      typingText = 'Live chat updates stopped in this window: reload the page (or close other windows with a live chat).';
      typingUntil = Infinity;
      restoreTyping();
    });
    source.addEventListener('gone', function () {
      // The case left the queues this agent may see: no reconnect (url stays), the page says the rest.
      clearTimeout(silence);
      if (source) source.close();
      source = null;
      refreshPage();
    });
  }
  document.addEventListener('input', function (e) {
    var p = panel();
    var target = e.target;
    if (!p || !p.getAttribute('data-stream') || !target || target.name !== 'body' || !target.form || target.form.id !== 'composer') return;
    // At most every 3 s, and once more when the window ends if a keystroke was held back.
    var wait = 3000 - (Date.now() - lastTypingSent);
    if (wait <= 0) sendTyping();
    else if (!typingPending) typingPending = setTimeout(sendTyping, wait);
  });
  function sendTyping() {
    clearTimeout(typingPending);
    typingPending = null;
    var p = panel();
    var body = document.querySelector('#composer [name="body"]');
    if (!p || !p.getAttribute('data-typing') || !body || body.value.trim() === '') return;
    // An internal note is not for the visitor: no "is typing" while writing one.
    var mode = body.form && body.form.querySelector('input[name="visibility"]:checked');
    if (mode && mode.value === 'internal') return;
    lastTypingSent = Date.now();
    var token = document.querySelector('input[name="_csrf"]');
    fetch(p.getAttribute('data-typing'), { method: 'POST', headers: { 'X-CSRF-Token': token ? token.value : '' }, credentials: 'same-origin' }).catch(function () {});
  }
  document.addEventListener('DOMContentLoaded', connect);
  document.addEventListener('htmx:afterSettle', function () { connect(); restoreTyping(); });
})();
