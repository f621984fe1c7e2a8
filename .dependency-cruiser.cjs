/**
 * The architecture as rules (dependency-cruiser; `npm run lint:deps`, and test/unit/architecture.test.ts
 * in `npm test`). shared/ is layered: a module imports only from its own layer or the layers listed
 * before it, so nothing points back up and the lease domain stays free of AWS.
 */
const LAYERS = [
  ['basics', '^shared/(errors|clock|ids|md5|content-types|log|config)[.]ts$'],
  ['lease domain: state machine, rules, ports', '^shared/lease/'],
  ['adapters: DynamoDB, S3, presigning', '^shared/adapters/'],
  ['HTTP messages', '^shared/http/'],
  ['schemas and validation', '^shared/(schemas/|generated/|validation[.]ts$|validation-hints[.]ts$)'],
  ['authentication and tenancy', '^shared/auth/'],
  ['API chain and surface router', '^shared/api/'],
  ['contracts', '^shared/contracts/'],
  ['event handlers', '^shared/events/'],
  ['composition: runtime, metrics, OpenAPI', '^shared/(runtime|metrics|metric-catalog|openapi)[.]ts$'],
];

const layerRules = LAYERS.slice(0, -1).map(([name, path], i) => ({
  name: `layer: ${name}`,
  comment: `${name} may import only from itself and the layers below it`,
  severity: 'error',
  from: { path },
  to: { path: LAYERS.slice(i + 1).map(([, above]) => `(${above})`).join('|') },
}));

module.exports = {
  forbidden: [
    { name: 'no-cycles', comment: 'no import cycle, type-only imports included', severity: 'error', from: {}, to: { circular: true } },
    ...layerRules,
    {
      name: 'shared-in-a-layer',
      comment: 'every module of shared/ belongs to a layer (add a new one to LAYERS in .dependency-cruiser.cjs)',
      severity: 'error',
      from: { path: '^shared/', pathNot: LAYERS.map(([, path]) => `(${path})`).join('|') },
      to: {},
    },
    {
      name: 'domain-without-aws',
      comment: 'the lease domain takes its ports as parameters: no AWS SDK, Lambda or middy import',
      severity: 'error',
      from: { path: '^shared/lease/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'aws-sdk-in-adapters',
      comment: 'AWS SDK clients and commands only in adapters, the stores of auth, and the composition root',
      severity: 'error',
      from: { path: '^shared/', pathNot: '^shared/(adapters/|auth/(nonces|stored-credentials|lambda-auth)[.]ts$|runtime[.]ts$|events/lease-stream[.]ts$)' },
      to: { path: '^node_modules/@aws-sdk/' },
    },
    {
      name: 'shared-stands-alone',
      comment: 'shared/ is the library the Lambdas, the local mode, the stack and the tests are built on, never the reverse',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^(lambdas|local|infra|bench|scripts|test)/' },
    },
    {
      name: 'lambdas-apart',
      comment: 'each Lambda entry point is bundled alone: none imports another',
      severity: 'error',
      from: { path: '^lambdas/([^/]+)/' },
      to: { path: '^lambdas/', pathNot: '^lambdas/$1/' },
    },
    {
      name: 'deployed-code-without-local',
      comment: 'what is deployed (Lambdas, the stack) never imports the local mode, the bench or the tests',
      severity: 'error',
      from: { path: '^(lambdas|infra)/' },
      to: { path: '^(local|bench|test)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a cycle or an arrow back up in types is one a reader has to follow too.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(node_modules|cdk[.]out|reports|[.]data)/' },
  },
};
