/** `GET /api/docs`: the API reference page, rendered from the OpenAPI document (public, like the document). */
import type { Handler } from 'hono';
import { ApiDocsPage } from '../../views/pages/api-docs.js';
import type { OpenApiDocument } from './openapi/document.js';
import type { AppEnv } from './types.js';

export function apiDocsPage(document: () => OpenApiDocument): Handler<AppEnv> {
  let html: string | null = null;
  return async function apiDocs(c) {
    // The document does not change while the process runs: render it once.
    html ??= String(await (<ApiDocsPage document={document()} />));
    c.header('Cache-Control', 'no-cache');
    return c.html(html);
  };
}
