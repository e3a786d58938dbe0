/**
 * Errors on pages: the error page inside the layout for normal requests, an alert
 * fragment swapped into #flash for htmx requests, sign-in when nobody is signed in
 * and a form from a page opened before the latest sign-in (session-ended.tsx: nothing typed
 * is lost either way). Every variant shows the request id.
 */
import type { Context } from 'hono';
import type { DomainError } from '../../errors.js';
import { ErrorAlert, ErrorPage, type ErrorInfo } from '../../../views/pages/error.js';
import { STATUS_BY_CODE, STORAGE_FULL_RETRY_AFTER_S } from '../problem.js';
import { isHtmx, type PageContext } from './env.js';
import { sendHtml, viewerOf } from './render.js';
import { sessionEndedResponse, stalePageResponse } from './session-ended.js';

const TITLES: Record<number, string> = {
  400: 'Bad request',
  403: 'Not allowed',
  404: 'Page not found',
  409: 'That did not work',
  413: 'Too large',
  422: 'Please check the form',
  429: 'Too many attempts',
  503: 'Busy',
  500: 'Something went wrong',
};

const PAGE_TITLES: Partial<Record<DomainError['code'], string>> = {
  CSRF_REJECTED: 'Request refused',
  STORAGE_FULL: 'Storage full',
  DATABASE_GONE: 'Database unavailable',
  DATABASE_UNAVAILABLE: 'Database unavailable',
};

export function pageErrorResponse(c: Context, error: DomainError): Response | Promise<Response> {
  const pc = c as PageContext;
  if (error.code === 'UNAUTHENTICATED') return sessionEndedResponse(c);
  if (error.code === 'CSRF_REJECTED' && error.details.stalePage === true) return stalePageResponse(c);
  const status = STATUS_BY_CODE[error.code];
  const info: ErrorInfo = {
    status,
    title: PAGE_TITLES[error.code] ?? TITLES[status] ?? 'Error',
    message: error.message,
    requestId: c.get('requestId') ?? '',
  };
  if (error.code === 'TOO_MANY_REQUESTS' && typeof error.details.retryAfterSeconds === 'number') {
    c.header('Retry-After', String(error.details.retryAfterSeconds));
  }
  if (error.code === 'DATABASE_BUSY') c.header('Retry-After', '1');
  if (error.code === 'STORAGE_FULL') c.header('Retry-After', String(STORAGE_FULL_RETRY_AFTER_S));
  if (error.code === 'DATABASE_UNAVAILABLE' && typeof error.details.retryAfterSeconds === 'number') {
    c.header('Retry-After', String(error.details.retryAfterSeconds)); // PostgreSQL out of reach (problem.ts)
  }
  if (isHtmx(c)) {
    c.header('HX-Retarget', '#flash');
    c.header('HX-Reswap', 'innerHTML');
    return sendHtml(c, <ErrorAlert error={info} />, status);
  }
  let viewer = null;
  try {
    viewer = viewerOf(pc);
  } catch {
    viewer = null;
  }
  return sendHtml(c, <ErrorPage error={info} viewer={viewer} csrfToken={pc.get('csrfToken') ?? ''} />, status);
}
