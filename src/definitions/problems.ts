/**
 * A problem found while validating a definition (workflow, ruleset, SLA config).
 * Every problem names the JSON path of the offending value, e.g.
 * `$.rules[2].conditions.all[0].operator`, so a user can find it in the file.
 */
export interface DefinitionProblem {
  path: string;
  message: string;
  severity: 'error' | 'warning';
}

export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Formats path segments as a JSON path: `['rules', 0, 'event']` → `$.rules[0].event`. */
export function jsonPath(segments: readonly PathSegment[]): string {
  let out = '$';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

export function problem(
  segments: readonly PathSegment[],
  message: string,
  severity: DefinitionProblem['severity'] = 'error',
): DefinitionProblem {
  return { path: jsonPath(segments), message, severity };
}

/** The value at a path in what was validated (undefined when a step is missing). */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/**
 * A zod issue's message for people: given the validated input, a field that is missing says
 * `required` where zod would say "Invalid input: expected number, received undefined" (a
 * schema's own message for it, e.g. "calendar is required", is kept).
 */
export function issueMessage(issue: { code?: string; path: readonly PropertyKey[]; message: string }, input?: unknown): string {
  const zodWording = issue.code === 'invalid_type' && issue.message.startsWith('Invalid input: expected ');
  return zodWording && input !== undefined && issue.path.length > 0 && valueAt(input, issue.path) === undefined ? 'required' : issue.message;
}

/** Converts zod issues (v4) into problems with JSON paths (`input`: what was validated, for `required`). */
export function problemsFromZod(
  issues: readonly { code?: string; path: readonly PropertyKey[]; message: string }[],
  prefix: readonly PathSegment[] = [],
  input?: unknown,
): DefinitionProblem[] {
  return issues.map((issue) =>
    problem(
      [...prefix, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))],
      issueMessage(issue, input),
    ),
  );
}

export function hasErrors(problems: readonly DefinitionProblem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

/** One line per problem, for logs and start-up failures. */
export function formatProblems(source: string, problems: readonly DefinitionProblem[]): string {
  return problems
    .map((p) => `${source}: ${p.severity} at ${p.path}: ${p.message}`)
    .join('\n');
}
