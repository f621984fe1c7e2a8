/** Every schema the broker validates with; scripts/build-validators.ts precompiles them all. */
export * from './alibaba.js';
export * from './alibaba-files.js';
export * from './azure.js';
export * from './azure-code-versions.js';
export * from './leases.js';
