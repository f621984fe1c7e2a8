#!/usr/bin/env node
// The package's `ulb` bin: runs the TypeScript CLI through tsx (a dependency of the repo).
import { register } from 'tsx/esm/api';

register();
const { run } = await import('./upload/cli.ts');
process.exitCode = await run(process.argv.slice(2), { env: process.env, stdout: (t) => process.stdout.write(t), stderr: process.stderr });
