/**
 * A ruleset's examples in the rule builder: each a case as it arrives and what must happen
 * to it, with the result of running it against the rules being edited (passed, or what
 * differed). Added by hand or from a past case by its reference.
 */
import type { Child } from 'hono/jsx';
import type { Segment } from '../../../src/definitions/form-edit.js';
import type { Options } from '../../../src/rules/catalogue.js';
import type { ExampleResult, ExampleRun } from '../../../src/rules/examples.js';
import { Badge } from '../../components.js';
import { Chips, Command, JsonNode, Select, Switch, TextArea, TextInput, type Messages } from './builder-fields.js';
import { EXPECTATION_FIELDS } from '../../../src/rules/example-format.js';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** "queue billing · priority normal · tags (none) · not escalated" */
export function outcomeText(r: ExampleResult): string {
  const o = r.outcome;
  if (!o) return '';
  return `queue ${o.queue} · priority ${o.priority} · tags ${o.tags.length ? o.tags.join(', ') : '(none)'} · skills ${o.skills.length ? o.skills.join(', ') : '(none)'} · policy ${o.slaPolicy} · ${o.escalated ? 'escalated' : 'not escalated'}`;
}

export function ExampleResultLine({ result }: { result: ExampleResult | undefined }) {
  if (!result) return null;
  return (
    <div class={`example-result ${result.passed ? 'example-pass' : 'example-fail'}`} id={`example-${result.index}-result`}>
      <p>
        {result.passed ? <Badge tone="ok">passes</Badge> : <Badge tone="danger">fails</Badge>}{' '}
        {result.passed ? 'Everything it expects happens.' : result.differences.join('; ')}
      </p>
      {result.outcome ? <p class="muted example-outcome">{`Intake decides: ${outcomeText(result)}`}</p> : null}
    </div>
  );
}

/** The results beside the editor: how many pass, each failure with what differed. */
export function ExampleResults({ run, id = 'example-results' }: { run: ExampleRun; id?: string }) {
  const total = run.results.length;
  return (
    <section class="example-summary" id={id} aria-labelledby={`${id}-heading`}>
      <h3 id={`${id}-heading`}>Examples</h3>
      {total === 0 ? (
        <p class="muted">No examples yet. Add one below, or keep a past case as an example from its page.</p>
      ) : (
        <>
          <p class={run.failed ? 'examples-failing' : 'examples-passing'}>
            {run.failed ? <Badge tone="danger">{`${run.failed} failing`}</Badge> : <Badge tone="ok">all pass</Badge>}
            {` ${run.passed} of ${total} pass.`}
          </p>
          <ul class="plain-list example-summary-list">
            {run.results.map((r) => (
              <li>
                <a href={`#example-${r.index}`}>{r.name}</a>
                {r.passed ? ' — passes' : ` — fails: ${r.differences.join('; ')}`}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

const DEFAULT = (what: string) => `${what} (default)`;

/** A field with its visible name above it. */
function Pair({ label, children }: { label: string; children: Child }) {
  return (
    <span class="wf-field">
      <span>{label}</span>
      {children}
    </span>
  );
}

function ExampleFields({ i, example, options, messages, result }: { i: number; example: Record<string, unknown>; options: Options; messages: Messages; result: ExampleResult | undefined }) {
  const at: Segment[] = ['examples', i];
  const c = isObject(example.case) ? example.case : {};
  const customer = isObject(c.customer) ? c.customer : null;
  const expect = isObject(example.expect) ? example.expect : {};
  const n = `Example ${i + 1}`;
  const cat: Segment[] = [...at, 'case'];
  const eat: Segment[] = [...at, 'expect'];
  const yesNo = [
    { value: 'true', label: 'yes' },
    { value: 'false', label: 'no' },
  ];
  return (
    <>
      <div class="example-grid">
        <div class="example-case" role="group" aria-label={`${n}: the case`}>
          <h4>The case</h4>
          <div class="wf-fields">
            <Pair label="Subject">
              <TextInput kind="s" at={[...cat, 'subject']} label={`${n}: subject`} value={c.subject} messages={messages} class="bf-wide" />
            </Pair>
          </div>
          <div class="wf-fields">
            <Pair label="Description">
              <TextArea kind="s" at={[...cat, 'description']} label={`${n}: description`} value={c.description} messages={messages} rows={3} />
            </Pair>
          </div>
          <div class="wf-fields">
            <Pair label="Channel">
              <Select kind="o" at={[...cat, 'channel']} label={`${n}: channel`} value={c.channel} choices={options.channels} empty={DEFAULT('web')} messages={messages} />
            </Pair>
            <Pair label="Priority asked for">
              <Select kind="o" at={[...cat, 'priority']} label={`${n}: priority asked for`} value={c.priority} choices={options.priorities} empty={DEFAULT('normal')} messages={messages} />
            </Pair>
          </div>
          {customer === null || Object.keys(customer).every((k) => ['tier', 'organization'].includes(k)) ? (
            <div class="wf-fields">
              <Pair label="Customer tier">
                <TextInput kind="o" at={[...cat, 'customer', 'tier']} label={`${n}: customer tier`} value={customer?.tier} messages={messages} list="options-tiers" placeholder="standard" />
              </Pair>
              <Pair label="Organization">
                <TextInput kind="o" at={[...cat, 'customer', 'organization']} label={`${n}: organization`} value={customer?.organization} messages={messages} />
              </Pair>
            </div>
          ) : (
            <JsonNode at={[...cat, 'customer']} value={customer} reason="the customer has fields beyond tier and organization" label={`${n}: customer (JSON)`} messages={messages} />
          )}
          <div class="wf-fields">
            <Pair label="A known problem matches">
              <Select kind="ob" at={[...cat, 'knownProblem']} label={`${n}: a known problem matches`} value={c.knownProblem} choices={yesNo} empty={DEFAULT('no')} messages={messages} />
            </Pair>
            <Pair label="Arrives (UTC)">
              <TextInput kind="ti" type="datetime-local" at={[...cat, 'createdAt']} label={`${n}: arrives at (UTC)`} value={c.createdAt} messages={messages} />
            </Pair>
            <Pair label="In business hours">
              <Select kind="ob" at={[...cat, 'withinBusinessHours']} label={`${n}: within business hours`} value={c.withinBusinessHours} choices={yesNo} empty="from the time" messages={messages} />
            </Pair>
          </div>
        </div>
        <div class="example-expect" role="group" aria-label={`${n}: what must happen`}>
          <h4>What must happen</h4>
          <div class="wf-fields">
            <Pair label="Queue">
              <Select kind="o" at={[...eat, 'queue']} label={`${n}: expected queue`} value={expect.queue} choices={options.queues} empty="— not checked —" messages={messages} />
            </Pair>
            <Pair label="Priority">
              <Select kind="o" at={[...eat, 'priority']} label={`${n}: expected priority`} value={expect.priority} choices={options.priorities} empty="— not checked —" messages={messages} />
            </Pair>
          </div>
          <div class="wf-fields">
            <Pair label="SLA policy">
              <Select kind="o" at={[...eat, 'policy']} label={`${n}: expected SLA policy`} value={expect.policy} choices={options.policies} empty="— not checked —" messages={messages} />
            </Pair>
            <Pair label="Escalated">
              <Select kind="ob" at={[...eat, 'escalated']} label={`${n}: expected escalation`} value={expect.escalated} choices={yesNo} empty="— not checked —" messages={messages} />
            </Pair>
          </div>
          {(['tags', 'skills'] as const).map((key) => (
            <div class="wf-fields">
              <Switch kind="ck" at={[...eat, key]} label={`${n}: check the ${key}`} value={expect[key]} on={expect[key] !== undefined} text={`${key === 'tags' ? 'Tags' : 'Skills'} are exactly`} messages={messages} />
              {expect[key] !== undefined ? <Chips kind="l" at={[...eat, key]} label={`${n}: expected ${key}`} value={expect[key]} messages={messages} datalist={`options-${key}`} placeholder="none" /> : null}
            </div>
          ))}
          {messages.at(eat).map((m) => (
            <p class="field-error">{m}</p>
          ))}
        </div>
      </div>
      <ExampleResultLine result={result} />
    </>
  );
}

const KNOWN_CASE_KEYS = ['subject', 'description', 'channel', 'priority', 'customer', 'knownProblem', 'problemId', 'createdAt', 'withinBusinessHours'];

export function ExampleList({ doc, run, options, messages, focus }: { doc: Record<string, unknown>; run: ExampleRun; options: Options; messages: Messages; focus: string | null }) {
  const examples = doc.examples;
  const list = Array.isArray(examples) ? examples : [];
  return (
    <section class="builder-examples" id="builder-examples" tabindex={-1} aria-labelledby="builder-examples-heading" autofocus={focus === 'builder-examples' ? true : undefined}>
      <h3 id="builder-examples-heading">Examples: cases and what must happen to them</h3>
      <p class="hint">Each example is replayed through intake with these rules (and the other rulesets as published) whenever you save, dry-run or publish. Publishing is refused while one fails, unless you override it with a note.</p>
      {messages.at(['examples']).map((m) => (
        <p class="field-error">{m}</p>
      ))}
      {examples !== undefined && !Array.isArray(examples) ? (
        <JsonNode at={['examples']} value={examples} reason="the examples are not a list" label="Examples (JSON)" messages={messages} />
      ) : (
        <ol class="example-cards">
          {list.map((example, i) => {
            const result = run.results.find((r) => r.index === i);
            const ok = isObject(example) && isObject(example.case) && isObject(example.expect) && Object.keys(example).every((k) => ['name', 'case', 'expect', 'fromCase'].includes(k)) && Object.keys(example.case).every((k) => KNOWN_CASE_KEYS.includes(k)) && Object.keys(example.expect).every((k) => (EXPECTATION_FIELDS as readonly string[]).includes(k));
            const name = isObject(example) && typeof example.name === 'string' ? example.name : `Example ${i + 1}`;
            return (
              <li class={`example-card ${result && !result.passed ? 'example-card-fail' : ''}`} id={`example-${i}`} tabindex={-1} autofocus={focus === `example-${i}` ? true : undefined}>
                <div class="rule-card-head">
                  <h4>{`${i + 1}. ${name}`}</h4>
                  <div class="rule-tools">
                    {isObject(example) && typeof example.fromCase === 'string' && /^C-\d+$/.test(example.fromCase) ? <a href={`/cases/${example.fromCase}`}>{`kept from ${example.fromCase}`}</a> : null}
                    <Command op={`removeExample ${i}`} id={`example-${i}-remove`} label={`Remove example ${i + 1}`} variant="danger">
                      Remove
                    </Command>
                  </div>
                </div>
                {ok ? (
                  <>
                    <div class="wf-fields">
                      <Pair label="Name">
                        <TextInput kind="s" at={['examples', i, 'name']} label={`Example ${i + 1}: name`} value={(example as Record<string, unknown>).name} messages={messages} class="bf-name" />
                      </Pair>
                    </div>
                    <ExampleFields i={i} example={example as Record<string, unknown>} options={options} messages={messages} result={result} />
                  </>
                ) : (
                  <>
                    <JsonNode at={['examples', i]} value={example} reason="it has parts the example form does not know" label={`Example ${i + 1} (JSON)`} messages={messages} />
                    <ExampleResultLine result={result} />
                  </>
                )}
              </li>
            );
          })}
        </ol>
      )}
      <div class="example-add">
        <Command op="addExample" id="add-example" small={false}>
          + Add an example
        </Command>
        <span class="example-from-case">
          <label for="example-from-case">or keep a past case as an example:</label>
          <input type="text" id="example-from-case" name="fromCase" placeholder="C-1042" size={10} value={messages.pending.get('fromCase') ?? ''} aria-describedby={messages.field('fromCase') ? 'example-from-case-error' : undefined} />
          <Command op="addExampleFromCase" id="add-example-from-case">
            Add from case
          </Command>
          {messages.field('fromCase') ? (
            <span class="field-error" id="example-from-case-error">
              {messages.field('fromCase')}
            </span>
          ) : null}
        </span>
      </div>
    </section>
  );
}
