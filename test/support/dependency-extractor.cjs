// Jest's dependency graph (related-tests mode: Stryker's per-mutant runs, `jest --findRelatedTests`) sees
// imports only. A module that reads another file and runs it (the local Blob front runs the deployed
// CloudFront Function files in a sandbox) names it in a `// @runs <relative path>` line, so a change
// to that file selects the tests that run it. Everything else is jest's own extraction.
const RUNS = /^\s*\/\/\s*@runs\s+(\S+)\s*$/gm;

module.exports = {
  extract(code, filePath, defaultExtract) {
    const dependencies = defaultExtract(code, filePath);
    for (const match of code.matchAll(RUNS)) dependencies.add(match[1]);
    return dependencies;
  },
  getCacheKey() {
    return 'runs-v1';
  },
};
