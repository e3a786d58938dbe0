/**
 * A rule's conditions in the rule builder: groups ("all" / "any" of, "not"), nested to any
 * depth, each condition as "[field ▾] [operator ▾] [value]" with the value input the field
 * and operator call for (chips for lists, choices from what exists, a number, a time in
 * UTC, yes / no). Conditions the builder does not know stay JSON, marked.
 */
import type { Segment } from '../../../src/definitions/form-edit.js';
import { pointer } from '../../../src/definitions/form-edit.js';
import { nodeShape } from '../../../src/rules/builder.js';
import { CATALOGUE, OPERATORS_BY_TYPE, type CatalogueField, type OperatorChoice, type Options } from '../../../src/rules/catalogue.js';
import { Chips, Command, JsonNode, Select, TextInput, type Messages } from './builder-fields.js';

export interface ConditionContext {
  options: Options;
  messages: Messages;
  /** "rule 2" — how labels name the rule. */
  rule: string;
}

const FIELD_GROUPS = [...new Set(CATALOGUE.map((f) => f.group))];

/** "1.2.1" — a condition's number within its rule, from its pointer below `conditions`. */
function numberOf(at: Segment[]): string {
  const i = at.indexOf('conditions');
  const nums = at.slice(i + 1).filter((s): s is number => typeof s === 'number').map((n) => n + 1);
  return nums.length ? nums.join('.') : 'top';
}

function FieldSelect({ at, node, field, ctx }: { at: Segment[]; node: Record<string, unknown>; field: CatalogueField; ctx: ConditionContext }) {
  const label = `${ctx.rule}, condition ${numberOf(at)}: field`;
  const current = `${String(node.fact)}|${node.path === undefined ? '' : String(node.path)}`;
  return (
    <span class="bf">
      <select
        name={`f:${pointer(at)}`}
        id={`f-field${at.map((s) => `-${String(s)}`).join('')}`}
        aria-label={label}
        aria-invalid={ctx.messages.at([...at, 'fact']).length + ctx.messages.at([...at, 'path']).length ? 'true' : undefined}
      >
        {FIELD_GROUPS.map((group) => (
          <optgroup label={group}>
            {CATALOGUE.filter((f) => f.group === group).map((f) => (
              <option value={`${f.fact}|${f.path ?? ''}`} selected={`${f.fact}|${f.path ?? ''}` === current}>
                {f.label}
              </option>
            ))}
          </optgroup>
        ))}
      </select>
      {[...ctx.messages.at([...at, 'fact']), ...ctx.messages.at([...at, 'path'])].map((m) => (
        <span class="field-error">{m}</span>
      ))}
      <span class="visually-hidden">{` (${field.type})`}</span>
    </span>
  );
}

function OperatorSelect({ at, node, field, ctx }: { at: Segment[]; node: Record<string, unknown>; field: CatalogueField; ctx: ConditionContext }) {
  return (
    <Select
      kind="op"
      at={at}
      label={`${ctx.rule}, condition ${numberOf(at)}: comparison`}
      value={node.operator}
      choices={OPERATORS_BY_TYPE[field.type].map((o) => ({ value: o.operator, label: o.label }))}
      messages={ctx.messages}
      also={[[...at, 'operator']]}
    />
  );
}

function ValueInput({ at, node, field, operator, ctx }: { at: Segment[]; node: Record<string, unknown>; field: CatalogueField; operator: OperatorChoice; ctx: ConditionContext }) {
  const vat = [...at, 'value'];
  const label = `${ctx.rule}, condition ${numberOf(at)}: value`;
  const common = { at: vat, label, value: node.value, messages: ctx.messages, deep: true };
  const choices = field.options ? ctx.options[field.options] : [];
  const datalist = field.options ? `options-${field.options}` : undefined;
  if (operator.value === 'list') {
    const placeholder = field.type === 'text' && operator.operator.startsWith('text') ? 'words, comma separated' : undefined;
    return <Chips kind={field.type === 'number' ? 'ln' : 'l'} {...common} datalist={datalist} placeholder={placeholder} />;
  }
  switch (field.type) {
    case 'choice':
      return <Select kind="s" {...common} choices={choices} />;
    case 'number':
      return <TextInput kind="n" type="number" {...common} class="bf-narrow" />;
    case 'time':
      return (
        <>
          <TextInput kind="t" type="datetime-local" {...common} />
          <span class="muted"> UTC</span>
        </>
      );
    case 'boolean':
      return (
        <Select
          kind="b"
          {...common}
          choices={[
            { value: 'true', label: 'yes' },
            { value: 'false', label: 'no' },
          ]}
        />
      );
    default:
      return <TextInput kind="s" {...common} list={datalist} />;
  }
}

/** One condition, a group of them, or a part shown as JSON. */
export function ConditionNode({ at, node, ctx, top = false }: { at: Segment[]; node: unknown; ctx: ConditionContext; top?: boolean }) {
  const shape = nodeShape(node);
  const num = numberOf(at);
  const here = pointer(at);
  const removable = !top;
  const controls = (
    <span class="node-controls">
      <Command op={`negate ${here}`} label={shape.kind === 'group' && shape.group === 'not' ? `Remove “not” from condition ${num} of ${ctx.rule.toLowerCase()}` : `Not: negate condition ${num} of ${ctx.rule.toLowerCase()}`} variant="link">
        {shape.kind === 'group' && shape.group === 'not' ? 'Remove “not”' : 'Not'}
      </Command>
      {removable ? (
        <Command op={`removeNode ${here}`} label={`Remove condition ${num} of ${ctx.rule.toLowerCase()}`} variant="link">
          Remove
        </Command>
      ) : null}
    </span>
  );
  if (shape.kind === 'json') {
    return (
      <li class="cond cond-json" id={`cond${at.map((s) => `-${String(s)}`).join('')}`}>
        <JsonNode at={at} value={node} reason={shape.reason} label={`${ctx.rule}, condition ${num} (JSON)`} messages={ctx.messages} />
        {controls}
      </li>
    );
  }
  if (shape.kind === 'leaf') {
    const n = node as Record<string, unknown>;
    const nodeMessages = ctx.messages.at(at);
    return (
      <li class="cond cond-leaf" id={`cond${at.map((s) => `-${String(s)}`).join('')}`}>
        <div class="cond-line">
          <FieldSelect at={at} node={n} field={shape.leaf.field} ctx={ctx} />
          <OperatorSelect at={at} node={n} field={shape.leaf.field} ctx={ctx} />
          <ValueInput at={at} node={n} field={shape.leaf.field} operator={shape.leaf.operator} ctx={ctx} />
          {controls}
        </div>
        {nodeMessages.map((m) => (
          <p class="field-error">{m}</p>
        ))}
      </li>
    );
  }
  const group = node as Record<string, unknown>;
  const Tag = top ? 'div' : 'li';
  if (shape.group === 'not') {
    return (
      <Tag class="cond cond-group cond-not" id={`cond${at.map((s) => `-${String(s)}`).join('')}`}>
        <div class="group-head">
          <strong>not:</strong> {controls}
        </div>
        <ul class="cond-list">
          <ConditionNode at={[...at, 'not']} node={group.not} ctx={ctx} />
        </ul>
      </Tag>
    );
  }
  const list = group[shape.group] as unknown[];
  const listAt = [...at, shape.group];
  return (
    <Tag class={`cond cond-group cond-${shape.group}`} id={`cond${at.map((s) => `-${String(s)}`).join('')}`}>
      <div class="group-head">
        {top ? <strong class="rule-word">If</strong> : null}
        <Select
          kind="g"
          at={at}
          label={`${ctx.rule}, ${top ? 'conditions' : `group ${num}`}: all or any`}
          value={shape.group}
          choices={[
            { value: 'all', label: 'all' },
            { value: 'any', label: 'any' },
          ]}
          messages={ctx.messages}
          class="bf-narrow"
        />
        <span>{list.length === 0 ? 'of: (nothing yet: always true)' : 'of:'}</span>
        {top ? null : controls}
      </div>
      {ctx.messages.at(listAt).map((m) => (
        <p class="field-error">{m}</p>
      ))}
      <ul class="cond-list">
        {list.map((child, i) => (
          <ConditionNode at={[...listAt, i]} node={child} ctx={ctx} />
        ))}
      </ul>
      <div class="group-actions">
        <Command op={`addCondition ${pointer(listAt)}`} label={`+ Condition in ${top ? 'the conditions' : `group ${num}`} of ${ctx.rule.toLowerCase()}`}>
          + Condition
        </Command>
        <Command op={`addGroup ${pointer(listAt)}`} label={`+ Group in ${top ? 'the conditions' : `group ${num}`} of ${ctx.rule.toLowerCase()}`}>
          + Group
        </Command>
        {top ? controls : null}
      </div>
    </Tag>
  );
}
