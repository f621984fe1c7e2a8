/**
 * The stack synthesized as `cdk synth` would: real bundling (esbuild, local), into a temporary cdk.out.
 * Returns the outdir and the stack template's path.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { readSettings } from '../../../infra/settings.js';
import { UploadLeaseBrokerStack } from '../../../infra/stack.js';
import { CDK_JSON, type Context } from '../../infra/helpers.js';

export const STACK_NAME = 'UploadLeaseBroker';

export interface Synthesized {
  /** The cdk.out directory (assets as asset.<hash>/). */
  readonly outdir: string;
  readonly templateFile: string;
}

export function synthesizeWithBundles(context: Context = {}, outdir = mkdtempSync(join(tmpdir(), 'ulb-cdk-out-'))): Synthesized {
  const app = new App({ outdir, context: { ...CDK_JSON.context, ...context } });
  new UploadLeaseBrokerStack(app, STACK_NAME, { settings: readSettings(app) });
  app.synth();
  return { outdir, templateFile: join(outdir, `${STACK_NAME}.template.json`) };
}
