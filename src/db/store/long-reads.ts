/**
 * How a long read — a report, the dashboard — is cut up so that it neither holds the event loop
 * nor the memory of everything it reads: statements that each read a page, and (`store.report`
 * on SQLite) a turn of the event loop between them once a slice has passed (`breathe`,
 * ./sqlite.ts). Tests make the pages and the slice tiny to go through every page boundary.
 */
export const LONG_READS = {
  /** Rows one statement reads (the rows of a period: first responses, resolutions, SLA outcomes). */
  rowsPerPage: 5_000,
  /** Case ids one statement names (`IN (…)`: their timelines). */
  idsPerPage: 500,
  /** How long a report holds the event loop before `breathe` lets it run, ms. */
  sliceMs: 10,
};
