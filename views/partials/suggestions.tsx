/** Known problems matching what the customer is typing (updated while they type). */
import type { ProblemMatch } from '../../src/diagnosis/search-problems.js';

export function SuggestionList({ matches, searched }: { matches: ProblemMatch[]; searched: boolean }) {
  return (
    <div id="suggestions" class="suggestions" aria-live="polite">
      {matches.length > 0 ? (
        <section class="panel" aria-labelledby="suggestions-heading">
          <h2 id="suggestions-heading">These solutions might help</h2>
          <p class="hint">If one of them solves your problem, you do not need to send the request.</p>
          {matches.map((m) => (
            <details class="suggestion">
              <summary>{m.title}</summary>
              <p>{m.solution}</p>
            </details>
          ))}
        </section>
      ) : searched ? (
        <p class="muted">No known solution matches yet. Send the request and we will help you.</p>
      ) : null}
    </div>
  );
}
