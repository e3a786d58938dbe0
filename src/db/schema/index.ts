export * from './people.js';
export * from './cases.js';
export * from './definitions.js';
export * from './auth.js';
export * from './outbox.js';
export * from './reports.js';
export * from './scheduler.js';
export * from './assignment.js';
