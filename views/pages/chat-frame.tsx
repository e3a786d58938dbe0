/**
 * The chat window inside the widget's iframe (served by Casebook, so the host page's CSS
 * and scripts cannot reach it). Its own document: no staff layout, no cookies; everything
 * it shows after loading is built by public/chat-frame.js from the chat API.
 */
import { raw } from 'hono/html';
import { assetUrl } from '../../src/http/pages/assets.js';

export function ChatFrameDocument(p: { siteId: string; siteName: string; host: string }) {
  return (
    <>
      {raw('<!DOCTYPE html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{`Chat with ${p.siteName}`}</title>
          <link rel="stylesheet" href={assetUrl('chat-frame.css')} />
          <script src={assetUrl('chat-frame.js')} defer></script>
        </head>
        <body data-site={p.siteId} data-host={p.host}>
          <main class="chat" aria-labelledby="chat-title">
            <header class="chat-head">
              <h1 id="chat-title">{p.siteName}</h1>
              <button type="button" class="chat-close" id="chat-close" aria-label="Close the chat">
                ×
              </button>
            </header>
            <p class="chat-status" id="chat-status" role="status" aria-live="polite">
              Loading…
            </p>
            <div class="chat-body" id="chat-body"></div>
            <noscript>
              <p class="chat-status">The chat needs JavaScript.</p>
            </noscript>
          </main>
        </body>
      </html>
    </>
  );
}
