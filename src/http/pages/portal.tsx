/** The customer portal: my requests, a new request with live suggestions. */
import { Hono } from 'hono';
import { z } from 'zod';
import { assertWithinLimits } from '../../attachments/limits.js';
import { storeFiles } from '../../attachments/record.js';
import { caseRef } from '../../cases/case-ref.js';
import { DomainError } from '../../errors.js';
import { retryAfterOf, takeRateLimit } from '../limits.js';
import { createCase } from '../../cases/create-case.js';
import { customerCases } from '../../cases/customer-cases.js';
import { customerCaseSummary } from '../../cases/customer-view.js';
import { searchProblemsOn, searchTerms } from '../../diagnosis/search-problems.js';
import { NewRequestForm, NewRequestPage, PortalCases } from '../../../views/pages/portal.js';
import { SuggestionList } from '../../../views/partials/suggestions.js';
import { withFilesNotSent } from '../../../views/components.js';
import { requireCustomer, type PageEnv } from './env.js';
import { readUploads } from '../uploads.js';
import { formErrorsOf, parseForm, readForm } from './forms.js';
import { redirectTo, sendForm, sendHtml, viewerOf } from './render.js';

const requestForm = z.object({
  subject: z.string().trim().min(1, 'give your request a subject').max(200, 'at most 200 characters'),
  description: z.string().trim().min(1, 'describe the problem').max(20_000, 'at most 20,000 characters'),
});

export function portalPages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();

  app.get('/portal', async (c) => {
    const principal = requireCustomer(c);
    const services = c.get('services');
    const cursor = c.req.query('cursor') || undefined;
    const page = await services.store.query((q) => customerCases(q, principal.customerId!, { limit: 25, cursor }));
    const rows = page.rows.map((row) => customerCaseSummary(services, row));
    return sendHtml(c, <PortalCases viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} rows={rows} nextCursor={page.nextCursor} paged={cursor !== undefined} />);
  });

  app.get('/portal/new', (c) => {
    requireCustomer(c);
    return sendHtml(c, <NewRequestPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} uploads={c.get('services').attachments.settings} />);
  });

  /** Fragment: problem-library matches for the text typed so far. */
  app.get('/portal/suggestions', async (c) => {
    requireCustomer(c);
    const text = `${c.req.query('subject') ?? ''}\n${c.req.query('description') ?? ''}`.slice(0, 20_000);
    const searched = searchTerms(text).length > 0;
    const matches = searched ? (await c.get('services').store.query((q) => searchProblemsOn(q, text, 3))).filter((m) => m.sharedWords > 0) : [];
    return sendHtml(c, <SuggestionList matches={matches} searched={searched} />);
  });

  app.post('/portal/cases', async (c) => {
    const principal = requireCustomer(c);
    const services = c.get('services');
    const files = await readUploads(c);
    // A form that comes back says which files were sent along: a browser cannot keep them.
    const values = withFilesNotSent(await readForm(c), files.map((f) => f.name));
    const uploads = services.attachments.settings;
    const render = (errors: Record<string, string>, status: 422 | 429 = 422) => {
      const state = { values, errors };
      return sendForm(
        c,
        'new-request-form',
        () => <NewRequestForm csrfToken={c.get('csrfToken')} state={state} uploads={uploads} />,
        () => <NewRequestPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} state={state} uploads={uploads} />,
        status,
      );
    };
    const parsed = parseForm(requestForm, values);
    if (!parsed.ok) return render(parsed.errors);
    let id: number;
    try {
      // Limits before anything else: a refused upload stores nothing and counts for nothing.
      assertWithinLimits(uploads, files);
      await takeRateLimit(c, principal, 'cases');
    } catch (error) {
      const errors = formErrorsOf(error);
      if (errors) return render(errors);
      if (!(error instanceof DomainError) || error.code !== 'TOO_MANY_REQUESTS') throw error;
      c.header('Retry-After', retryAfterOf(error));
      return render({ '(form)': error.message }, 429);
    }
    try {
      const attachments = await storeFiles(services.attachments.store, files);
      const row = await createCase(services, parsed.data, principal.actor, { customerId: principal.customerId!, channel: 'web', attachments });
      id = row.id;
    } catch (error) {
      const errors = formErrorsOf(error);
      if (errors) return render(errors);
      throw error;
    }
    await services.outbox.settle(id);
    return redirectTo(c, `/cases/${caseRef(id)}?created=1`);
  });

  return app;
}
