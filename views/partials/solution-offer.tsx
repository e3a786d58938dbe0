/**
 * The known problem's solution offered to the customer on their case page: the solution,
 * "This solved it" (resolves the case) and "No, I still need help" (keeps it open).
 * Once answered it says what they answered.
 */
import type { SolutionOffer } from '../../src/cases/solution-offer.js';
import { Button, CsrfField, FormError, type FormState } from '../components.js';
import type { FormContext } from './case-forms.js';

function AnswerForm(p: { ctx: FormContext; answer: 'solved' | 'notSolved'; label: string; variant: 'primary' | 'secondary' }) {
  const url = `/cases/${p.ctx.ref}/offered-solution`;
  return (
    <form id={`offer-${p.answer}`} class="inline-form" method="post" action={url} hx-post={url}>
      <CsrfField token={p.ctx.csrfToken} />
      <input type="hidden" name="answer" value={p.answer} />
      <Button variant={p.variant} id={`offer-${p.answer}-submit`}>
        {p.label}
      </Button>
    </form>
  );
}

export function SolutionOfferPanel(p: { ctx: FormContext; offer: Pick<SolutionOffer, 'title' | 'solution' | 'answer'> | null; canAnswer: boolean; state?: FormState | undefined }) {
  const { offer } = p;
  if (!offer) return null;
  return (
    <section class="panel" id="solution-offer" aria-labelledby="solution-offer-heading">
      <h2 id="solution-offer-heading">{offer.answer === 'open' ? 'This may solve it' : 'The solution we suggested'}</h2>
      <FormError state={p.state} />
      <div class="solution">
        <h3>{offer.title}</h3>
        <div class="message-body" dir="auto">{offer.solution}</div>
      </div>
      {offer.answer === 'open' && p.canAnswer ? (
        <>
          <p>Did this solve your problem?</p>
          <div class="offer-actions">
            <AnswerForm ctx={p.ctx} answer="solved" label="This solved it" variant="primary" />
            <AnswerForm ctx={p.ctx} answer="notSolved" label="No, I still need help" variant="secondary" />
          </div>
        </>
      ) : null}
      {offer.answer === 'solved' ? <p role="status">You told us this solved it.</p> : null}
      {offer.answer === 'notSolved' ? <p role="status">{p.canAnswer ? 'You told us you still need help: an agent is on it.' : 'You told us you still need help.'}</p> : null}
    </section>
  );
}
