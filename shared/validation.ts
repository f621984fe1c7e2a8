import type { ErrorObject } from 'ajv';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import { ValidationError } from './errors.js';
import type { PrecompiledValidator } from './generated/validators.js';
import { PATTERN_HINTS } from './validation-hints.js';

function describe(error: ErrorObject | undefined, target: string | undefined, value: unknown): string {
  const name = target ?? 'request';
  const hint = target !== undefined && Object.hasOwn(PATTERN_HINTS, target) ? PATTERN_HINTS[target] : undefined;
  // A pattern is the rule, not an explanation; a size that is neither a number nor digits gets the same words
  // (anyOf reports its first branch first: integer's type or minimum).
  const keyword = error?.keyword;
  const hinted = keyword === 'pattern' || (target === 'SizeInBytes' && (keyword === 'type' || keyword === 'minimum'));
  if (hint && hinted) return `${hint(value)}.`;
  switch (error?.keyword) {
    case 'required':
      return `The required parameter '${name}' is missing.`;
    case 'type':
      return `The parameter '${name}' must be of type ${String(error.params.type)}.`;
    case 'pattern':
      return `The value of '${name}' does not match the required pattern ${String(error.params.pattern)}.`;
    case 'minLength':
    case 'maxLength':
      return `The value of '${name}' must have ${error.keyword === 'minLength' ? 'at least' : 'at most'} ${String(error.params.limit)} characters.`;
    case 'enum':
      return `The value of '${name}' must be one of: ${(error.params.allowedValues as unknown[]).map(String).join(', ')}.`;
    default:
      return `The value of '${name}' is invalid.`;
  }
}

/**
 * Runs a precompiled validator and returns the data typed from the same schema, or throws a
 * ValidationError naming the offending parameter as the contract spells it.
 */
export function validated<S extends JSONSchema>(
  validate: PrecompiledValidator,
  data: unknown,
  location: ValidationError['location'],
): FromSchema<S> {
  if (validate(data)) return data as FromSchema<S>;
  const errors = validate.errors ?? [];
  // anyOf reports each branch; the last error is the summary, the first names the branch that failed.
  const error = errors[0];
  const missing = error?.keyword === 'required' ? String(error.params.missingProperty) : undefined;
  const target = missing ?? (error?.instancePath.split('/')[1] || undefined);
  // An error that names a property (missing or inside the data) means the data is an object.
  const value = target === undefined ? undefined : (data as Record<string, unknown>)[target];
  throw new ValidationError(describe(error, target, value), target, location, missing ? 'missing' : 'invalid');
}
