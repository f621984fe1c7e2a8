// Mutation testing of the lease engine's core and the security boundary (authentication, tenancy, the
// contracts' handlers and edges, the HTTP chain, the event handlers, the embedded S3's signature checks,
// the Blob front's functions)
// against the fast unit tier (jest.mutation.config.js).
// `npm run test:mutation`; the report is committed as reports/mutation/mutation.json and the
// surviving mutants are explained in docs/mutation.md.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'jest',
  jest: { configFile: 'jest.mutation.config.js', enableFindRelatedTests: true },
  // Jest runs the sources as native ESM.
  testRunnerNodeArgs: ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning'],
  coverageAnalysis: 'perTest',
  mutate: [
    'shared/lease/**/*.ts',
    'shared/adapters/{lease-store,lease-item,lease-table,name-claims,presign}.ts',
    'shared/validation.ts',
    'shared/auth/**/*.ts',
    'shared/contracts/*/{request,edge,upload-lease,files,pending-upload,code-versions,code-version-resource,version-claims,read-and-consume,blob-front,container-sas}.ts',
    // The Blob front's CloudFront Functions: the SAS check and the path mapping are its security boundary.
    'infra/blob-front/*.js',
    // The API Lambdas' reading of S3 listings (container leases).
    'shared/adapters/list-page.ts',
    'shared/http/**/*.ts',
    // The chain and the router (operation.ts, deps.ts and contract-code.ts only declare, like the registry).
    'shared/api/{chain,surface}.ts',
    'shared/events/**/*.ts',
    'local/s3-auth/**/*.ts',
  ],
  // The sandbox needs the generated validators, which are git-ignored.
  ignorePatterns: ['cdk.out', '.data', 'reports', 'coverage', 'bench/results.json'],
  concurrency: 2,
  // Mutants that loop forever are killed by this timeout; the unit tier's tests take milliseconds.
  timeoutMS: 3000,
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  // The bar for the whole scope; the per-file bar (85 %) is checked by test/unit/mutation-report.test.ts.
  thresholds: { high: 95, low: 90, break: 95 },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
