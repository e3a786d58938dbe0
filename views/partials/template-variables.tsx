/**
 * The variables a wording may use (mail templates, macros) and how sections work: the same
 * list on both editors, since both use one template language (src/notifications/template-language.ts).
 */
import type { VariableSpec } from '../../src/notifications/template-catalog.js';

export function VariableList({ variables }: { variables: readonly VariableSpec[] }) {
  return (
    <>
      <dl class="facts">
        {variables.map((v) => (
          <>
            <dt>
              <code>{v.sectionOnly ? `{{#${v.name}}}…{{/${v.name}}}` : `{{${v.name}}}`}</code>
            </dt>
            <dd>{v.description}</dd>
          </>
        ))}
      </dl>
      <p class="muted">
        <code>{'{{#name}}…{{/name}}'}</code> keeps its text only when the value is there, <code>{'{{^name}}…{{/name}}'}</code> only when it is not.
      </p>
    </>
  );
}
