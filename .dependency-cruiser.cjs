/**
 * The import rules of src/ (checked in `npm test` by test/tooling/dependencies.test.ts).
 * Type-only imports are erased by TypeScript and do not count: lower layers may name the
 * `Services` container's type; they may not import the code of a layer above them.
 */
const BASE = '^src/(clock|errors|logger|own|roles|process-identity|repo-root|services|config)\\.ts$|^src/text/';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No module may reach itself through its imports.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'composition-root-only',
      comment: 'Only the entry points use the composition root; everything else gets plug-ins through Services.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(main|cli|compose)\\.ts$|\\.test\\.tsx?$' },
      to: { path: '^src/compose\\.ts$' },
    },
    {
      name: 'db-is-the-floor',
      comment: 'The database layer knows nothing above it.',
      severity: 'error',
      from: { path: '^src/db/' },
      to: { path: '^src/', pathNot: `^src/db/|${BASE}` },
    },
    {
      name: 'outbox-knows-no-handlers',
      comment: 'The outbox claims and performs items; what an item does is plugged in at the composition root.',
      severity: 'error',
      from: { path: '^src/outbox/' },
      to: { path: '^src/', pathNot: `^src/(outbox|db)/|${BASE}` },
    },
    {
      name: 'workflow-core-below-its-plug-ins',
      comment: 'The workflow engine (definition, transition, unit of work) does not import assignment, SLA, rules, channels or cases; actions and subscribers are plugged in.',
      severity: 'error',
      from: { path: '^src/workflow/', pathNot: '^src/workflow/actions/|\\.test\\.tsx?$' },
      to: { path: '^src/(assignment|sla|rules|channels|notifications|reports|dashboard|http|cases/(?!case-ref\\.ts))' },
    },
    {
      name: 'domain-below-http',
      comment: 'Pages and API routes call the domain; the domain never imports them.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(http|main|cli|compose)|\\.test\\.tsx?$' },
      to: { path: '^src/http/' },
    },
  ],
  options: {
    tsPreCompilationDeps: false,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
  },
};
