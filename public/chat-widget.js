/*
 * Casebook live chat loader. On the host page:
 *   <script src="https://casebook.example/chat/widget.js" data-site="site_…" async></script>
 * Optional, for signed-in users (the host server signs the e-mail, docs/chat.md):
 *   data-user-email="…" data-user-name="…" data-user-signature="<hex HMAC-SHA256>"
 *   data-user-expires="<epoch seconds, signed with the e-mail>" (optional)
 * It adds a launcher button and the chat window, an iframe served by Casebook. It sets no
 * cookies and touches nothing else on the page.
 */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || !script.getAttribute('data-site') || window.__casebookChat) return;
  window.__casebookChat = true;
  var base = new URL(script.src).origin;
  var site = script.getAttribute('data-site');
  var identity = {
    email: script.getAttribute('data-user-email') || '',
    name: script.getAttribute('data-user-name') || '',
    signature: script.getAttribute('data-user-signature') || '',
  };
  var expires = script.getAttribute('data-user-expires');
  if (expires && /^\d+$/.test(expires)) identity.exp = Number(expires);
  var src = base + '/chat/frame/' + encodeURIComponent(site) + '?host=' + encodeURIComponent(location.origin);
  if (identity.email && identity.signature) {
    // In the fragment: never sent to a server, never in a log.
    src += '#identity=' + encodeURIComponent(JSON.stringify(identity));
  }

  function css(el, styles) {
    for (var k in styles) el.style[k] = styles[k];
  }

  var button = document.createElement('button');
  button.type = 'button';
  button.textContent = 'Chat with us';
  button.setAttribute('aria-expanded', 'false');
  button.setAttribute('data-casebook-chat', 'launcher');
  css(button, {
    position: 'fixed', right: '20px', bottom: '20px', zIndex: '2147483000', padding: '12px 18px',
    borderRadius: '24px', border: '0', background: '#1f4fd1', color: '#fff', font: '600 15px/1.2 system-ui, sans-serif',
    boxShadow: '0 4px 14px rgba(0,0,0,.25)', cursor: 'pointer',
  });

  var frame = null;
  var loaded = false;
  function small() {
    return window.innerWidth < 500;
  }
  function place() {
    if (!frame) return;
    if (small()) css(frame, { right: '0', bottom: '0', width: '100%', height: '100%', borderRadius: '0' });
    else css(frame, { right: '20px', bottom: '80px', width: '370px', height: '560px', borderRadius: '12px' });
  }
  function open() {
    if (!frame) {
      frame = document.createElement('iframe');
      frame.src = src;
      frame.title = 'Chat';
      frame.setAttribute('data-casebook-chat', 'window');
      css(frame, { position: 'fixed', zIndex: '2147483001', border: '0', background: '#fff', boxShadow: '0 8px 30px rgba(0,0,0,.3)', maxHeight: '100%' });
      place();
      // Told once it has loaded: before, the frame is still about:blank (of this page's origin), and a
      // message for Casebook's origin was refused with an error in the host page's console, and lost
      // (folded away before the window had loaded, it took its replies for seen).
      frame.addEventListener('load', function () {
        loaded = true;
        tell(frame.style.display !== 'none');
      });
      document.body.appendChild(frame);
    }
    frame.style.display = 'block';
    tell(true);
    button.setAttribute('aria-expanded', 'true');
    if (small()) button.style.display = 'none';
  }
  // The window acknowledges the replies it shows (they are mailed when the chat ends if not):
  // folded away, it shows none, whatever the tab's visibility says.
  function tell(shown) {
    if (frame && loaded && frame.contentWindow) frame.contentWindow.postMessage({ type: 'casebook-chat:shown', shown: shown }, base);
  }
  function close() {
    if (frame) frame.style.display = 'none';
    tell(false);
    button.style.display = '';
    button.setAttribute('aria-expanded', 'false');
    button.focus();
  }
  button.addEventListener('click', function () {
    if (frame && frame.style.display !== 'none') close();
    else open();
  });
  window.addEventListener('resize', place);
  window.addEventListener('message', function (event) {
    if (event.origin !== base || !frame || event.source !== frame.contentWindow) return;
    if (event.data && event.data.type === 'casebook-chat:close') close();
  });
  function mount() {
    document.body.appendChild(button);
  }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})();
