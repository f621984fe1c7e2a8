/**
 * The context a synth would see (cdk.json's, overlaid with the `-c` arguments), and whether the stack's
 * settings accept it: the same readSettings the app runs (infra/settings.ts), so the rules live in one
 * place and a typo costs a second, not a synth.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { readSettings, SettingsError } from '../infra/settings.js';
import { DEFAULT_QUALIFIER } from './deploy-preflight.js';
const QUALIFIER_KEY = '@aws-cdk/core:bootstrapQualifier';

export function synthContext(cdkJsonPath: string, overrides: Readonly<Record<string, string>>): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(cdkJsonPath, 'utf8')) as { context?: Record<string, unknown> };
  return { ...cdkJson.context, ...overrides };
}

/** The SettingsError the app would stop on, or undefined when the settings are valid; any other error is thrown. */
export function settingsError(context: Readonly<Record<string, unknown>>): SettingsError | undefined {
  // An App without an outdir makes a temp directory it never removes; this one never synthesizes.
  const outdir = mkdtempSync(join(tmpdir(), 'ulb-settings-'));
  try {
    readSettings(new App({ context: { ...context }, autoSynth: false, outdir }));
    return undefined;
  } catch (error) {
    if (error instanceof SettingsError) return error;
    throw error;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The bootstrap qualifier the synthesized stack will name; cdk.json or `-c` may set one. */
export function bootstrapQualifier(context: Readonly<Record<string, unknown>>): string {
  const value = context[QUALIFIER_KEY];
  return typeof value === 'string' && value.trim() ? value.trim() : DEFAULT_QUALIFIER;
}
