/**
 * cdk-nag 3 wiring. The AwsSolutions pack runs as a CDK policy-validation plugin on every synth; any
 * finding not acknowledged next to its construct fails the synth (errors and warnings alike: the
 * pack reports success only when nothing is left).
 */
import { Validations, type App, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

export function enableNag(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
}

/** Records why a finding is accepted, on the construct (or an ancestor of the resource) it concerns. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** The unacknowledged findings of a construct tree, for tests and tooling. */
export function nagFindings(scope: IConstruct): PolicyValidationPluginReport['violations'] {
  return new AwsSolutionsChecks().validateScope(scope).violations;
}
