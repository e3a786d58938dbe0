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

/** Converts zod issues (v4) into problems with JSON paths. */
export function problemsFromZod(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  prefix: readonly PathSegment[] = [],
): DefinitionProblem[] {
  return issues.map((issue) =>
    problem(
      [...prefix, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))],
      issue.message,
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
