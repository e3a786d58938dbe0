/**
 * `/api/docs`: the API reference, rendered on the server from the OpenAPI document (no
 * script, our own stylesheet: it is served under the same CSP as every page). Operations by
 * tag with who may call them, parameters, bodies, answers and examples built from the
 * schemas; then the shared schemas.
 */
import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import { assetUrl } from '../../src/http/pages/assets.js';
import type { OpenApiDocument, Operation, Parameter } from '../../src/http/openapi/document.js';
import { fieldsOf, refName, sampleOf, typeLabel, type Field, type Schemas } from '../../src/http/openapi/describe-schema.js';
import type { JsonSchema } from '../../src/http/openapi/json-schema.js';

const tagId = (tag: string) => `tag-${tag.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;

const STATUS_TEXT: Record<string, string> = { '200': 'OK', '201': 'Created', '202': 'Accepted', '204': 'No content' };

/** Text with `code` spans, as in the descriptions. */
function Prose({ text }: { text: string }) {
  const parts = text.split('`');
  return <>{parts.map((part, i) => (i % 2 === 1 ? <code>{part}</code> : part))}</>;
}

function TypeRef({ schema }: { schema: JsonSchema }): Child {
  const name = refName(schema);
  if (name) {
    return (
      <a class="type" href={`#schema-${name}`}>
        {name}
      </a>
    );
  }
  const variants = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(variants)) return <>{variants.map((v, i) => (i === 0 ? <TypeRef schema={v} /> : <> | <TypeRef schema={v} /></>))}</>;
  if (schema.type === 'array' && schema.items) {
    return (
      <>
        <span class="type">array of</span> <TypeRef schema={schema.items as JsonSchema} />
      </>
    );
  }
  return <span class="type">{typeLabel(schema)}</span>;
}

function Fields({ fields }: { fields: Field[] }): Child {
  if (fields.length === 0) return null;
  return (
    <dl class="fields">
      {fields.map((f) => (
        <div class="field">
          <dt>
            <code>{f.name}</code> <span class="type">{f.type}</span> {f.required ? <span class="required">required</span> : null}
          </dt>
          {f.description ? (
            <dd>
              <Prose text={f.description} />
            </dd>
          ) : null}
          {f.fields.length > 0 ? (
            <dd>
              <Fields fields={f.fields} />
            </dd>
          ) : null}
        </div>
      ))}
    </dl>
  );
}

function Example({ schema, schemas }: { schema: JsonSchema; schemas: Schemas }) {
  return (
    <pre class="example" tabindex={0} aria-label="Example">
      <code>{JSON.stringify(sampleOf(schema, schemas), null, 2)}</code>
    </pre>
  );
}

function Parameters({ parameters }: { parameters: Parameter[] }) {
  const fields = parameters.map((p) => ({ name: p.name, type: `${p.in} · ${typeLabel(p.schema)}`, required: p.required, description: p.description ?? null, fields: [] }));
  return (
    <>
      <h4>Parameters</h4>
      <Fields fields={fields} />
    </>
  );
}

function Content({ content, schemas, example }: { content: Record<string, { schema: JsonSchema }>; schemas: Schemas; example: boolean }) {
  return (
    <>
      {Object.entries(content).map(([type, { schema }]) => (
        <div class="content">
          <p>
            <code>{type}</code> · <TypeRef schema={schema} />
          </p>
          {refName(schema) ? null : <Fields fields={fieldsOf(schema, schemas)} />}
          {example && type.includes('json') ? <Example schema={schema} schemas={schemas} /> : null}
        </div>
      ))}
    </>
  );
}

function OperationSection({ path, method, op, schemas, problems }: { path: string; method: string; op: Operation; schemas: Schemas; problems: Record<string, { description: string }> }) {
  const successes = Object.entries(op.responses).filter(([status]) => Number(status) < 400);
  const errors = Object.entries(op.responses).filter(([status]) => Number(status) >= 400);
  return (
    <section class="operation" id={op.operationId} aria-labelledby={`${op.operationId}-title`}>
      <h3 id={`${op.operationId}-title`}>
        <span class={`method method-${method}`}>{method.toUpperCase()}</span> <code class="path">/api/v1{path}</code>
      </h3>
      <p class="summary">{op.summary}</p>
      {op.description ? (
        <p>
          <Prose text={op.description} />
        </p>
      ) : null}
      <p class="access">{op['x-roles'].length === 0 ? 'Public: no token needed.' : `Bearer token of: ${op['x-roles'].join(', ')}.`}</p>
      {op.parameters?.length ? <Parameters parameters={op.parameters} /> : null}
      {op.requestBody ? (
        <>
          <h4>Body{op.requestBody.required ? '' : ' (optional)'}</h4>
          <Content content={op.requestBody.content} schemas={schemas} example />
        </>
      ) : null}
      <h4>Answers</h4>
      {successes.map(([status, response]) => {
        const r = response as { description: string; content?: Record<string, { schema: JsonSchema }> };
        return (
          <div class="response">
            <p>
              <strong>
                {status} {STATUS_TEXT[status] ?? ''}
              </strong>{' '}
              — {r.description}
            </p>
            {r.content ? <Content content={r.content} schemas={schemas} example /> : null}
          </div>
        );
      })}
      {errors.length ? (
        <ul class="errors">
          {errors.map(([status, response]) => {
            const ref = (response as { $ref?: string }).$ref;
            const description = ref ? problems[ref.split('/').at(-1)!]?.description : (response as { description?: string }).description;
            return (
              <li>
                <strong>{status}</strong> <Prose text={description ?? ''} />
              </li>
            );
          })}
        </ul>
      ) : null}
    </section>
  );
}

export function ApiDocsPage({ document }: { document: OpenApiDocument }) {
  const schemas = document.components.schemas;
  const problems = document.components.responses as Record<string, { description: string }>;
  const info = document.info as { title: string; description: string };
  const byTag = new Map<string, { path: string; method: string; op: Operation }[]>();
  for (const [path, ops] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const list = byTag.get(op.tags[0]!) ?? [];
      list.push({ path, method, op });
      byTag.set(op.tags[0]!, list);
    }
  }
  return (
    <>
      {raw('<!DOCTYPE html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{`${info.title} · Casebook`}</title>
          <link rel="icon" href="/favicon.ico" sizes="48x48" />
          <link rel="stylesheet" href={assetUrl('app.css')} />
          <link rel="stylesheet" href={assetUrl('api-docs.css')} />
        </head>
        <body class="api-docs">
          <a class="skip-link" href="#main">
            Skip to the reference
          </a>
          <header class="topbar">
            <a class="brand" href="/">
              Casebook
            </a>
            <a class="doc-link" href="/api/v1/openapi.json">
              openapi.json
            </a>
          </header>
          <div class="docs-shell">
            <nav class="docs-nav" aria-label="Operations">
              <ul>
                {[...byTag].map(([tag, ops]) => (
                  <li>
                    <a href={`#${tagId(tag)}`}>{tag}</a>
                  </li>
                ))}
                <li>
                  <a href="#schemas">Schemas</a>
                </li>
              </ul>
            </nav>
            <main id="main" tabindex={-1}>
              <h1>{info.title}</h1>
              <p>
                <Prose text={info.description} />
              </p>
              <p>
                OpenAPI {String(document.openapi)} document: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>. Every path below is under <code>/api/v1</code>.
              </p>
              {[...byTag].map(([tag, ops]) => (
                <section class="tag" id={tagId(tag)} aria-labelledby={`${tagId(tag)}-title`}>
                  <h2 id={`${tagId(tag)}-title`}>{tag}</h2>
                  {ops.map((o) => (
                    <OperationSection {...o} schemas={schemas} problems={problems} />
                  ))}
                </section>
              ))}
              <section id="schemas" aria-labelledby="schemas-title">
                <h2 id="schemas-title">Schemas</h2>
                {Object.entries(schemas).map(([name, schema]) => (
                  <section class="schema" id={`schema-${name}`} aria-label={name}>
                    <h3>{name}</h3>
                    {typeof schema.description === 'string' ? (
                      <p>
                        <Prose text={schema.description} />
                      </p>
                    ) : null}
                    <p>
                      <span class="type">{typeLabel(schema)}</span>
                    </p>
                    <Fields fields={fieldsOf(schema, schemas)} />
                  </section>
                ))}
              </section>
            </main>
          </div>
        </body>
      </html>
    </>
  );
}
