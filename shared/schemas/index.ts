/** Every schema module, re-exported for the tests and the bench. The validator build takes its schemas from the registry's operations (scripts/build-validators.ts), not from here. */
export * from './alibaba.js';
export * from './alibaba-files.js';
export * from './azure.js';
export * from './azure-code-versions.js';
export * from './leases.js';
