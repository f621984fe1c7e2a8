import { ALIBABA_EXTENSIONS, ALIBABA_MAX_FILE_BYTES } from './schemas/alibaba.js';

/**
 * What to fix, in words, for parameters whose rule is a pattern: a regular expression is the rule,
 * not an explanation. Keyed by the parameter's name as the contracts spell it.
 */
const quote = (value: unknown) => JSON.stringify(typeof value === 'string' && value.length > 40 ? `${value.slice(0, 40)}...` : value);
const extensionOf = (value: unknown) => {
  const name = String(value);
  const dot = name.lastIndexOf('.');
  return dot === -1 ? '(no extension)' : quote(name.slice(dot));
};
const list = (items: readonly string[]) => `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
const armName = (field: string) => (value: unknown) =>
  `${field} must be 3 to 33 characters: letters, digits, '_' or '-', starting with a letter or digit (got ${quote(value)})`;
const pathSegment = (field: string) => (value: unknown) => `${field} must not contain '/', '\\' or control characters (got ${quote(value)})`;
const opaqueId = (field: string) => (value: unknown) => `${field} may contain only letters, digits, '_', '.' and '-' (got ${quote(value)})`;

export const PATTERN_HINTS: Readonly<Record<string, (value: unknown) => string>> = Object.freeze({
  FileName: (value) =>
    /[\u0000-\u001f\u007f]/.test(String(value))
      ? `FileName must not contain control characters`
      : `FileName must end in ${list(ALIBABA_EXTENSIONS.map((e) => `.${e}`))} (got ${extensionOf(value)})`,
  Md5: (value) => `Md5 must be the file's MD5 digest as 32 hexadecimal characters (got ${quote(value)})`,
  SizeInBytes: (value) => `SizeInBytes must be a whole number of bytes from 1 to ${ALIBABA_MAX_FILE_BYTES} (got ${quote(value)})`,
  WorkspaceId: opaqueId('WorkspaceId'),
  CategoryId: opaqueId('CategoryId'),
  workspaceName: armName('workspaceName'),
  registryName: armName('registryName'),
  subscriptionId: pathSegment('subscriptionId'),
  resourceGroupName: pathSegment('resourceGroupName'),
  name: pathSegment('name'),
  version: pathSegment('version'),
});
