import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { accessKeysFromFile } from '../../shared/auth/access-keys.js';
import { azureGrantsFromFile, parseAzureGrants } from '../../shared/auth/azure-grants.js';
import { scratchDir } from '../support/scratch.js';

/** The local mode's key and grant files: a malformed one stops the start, naming the file and the entry. */
const dir = scratchDir('ulb-credential-files-');
let n = 0;
const file = (content: string) => {
  const path = join(dir, `f${n++}.json`);
  writeFileSync(path, content);
  return path;
};
const key = (o: Record<string, unknown> = {}) => ({ AccessKeyId: 'LTAIk', AccessKeySecret: 's'.repeat(16), Workspaces: ['ws'], ...o });

describe('ACCESS_KEYS_FILE', () => {
  test('a valid entry is found by its id, with its secret and workspaces; other ids are not', async () => {
    const keys = accessKeysFromFile(file(JSON.stringify([key(), key({ AccessKeyId: 'LTAIother', Workspaces: [] })])));
    expect(await keys.find('LTAIk')).toEqual({ accessKeyId: 'LTAIk', secret: 's'.repeat(16), workspaces: ['ws'] });
    expect(await keys.find('LTAIother')).toEqual({ accessKeyId: 'LTAIother', secret: 's'.repeat(16), workspaces: [] });
    expect(await keys.find('LTAIunknown')).toBeUndefined();
  });

  test.each([
    ['not JSON', '{', /^ACCESS_KEYS_FILE .* is not readable JSON: /],
    ['not an array', '{}', /^ACCESS_KEYS_FILE .* must hold a JSON array$/],
    ['an id missing', JSON.stringify([key(), key({ AccessKeyId: undefined })]), /, entry 1: needs AccessKeyId/],
    ['an empty id', JSON.stringify([key({ AccessKeyId: '' })]), /, entry 0: needs/],
    ['an id not a string', JSON.stringify([key({ AccessKeyId: 7 })]), /, entry 0: needs/],
    ['a secret of 15 characters', JSON.stringify([key({ AccessKeySecret: 's'.repeat(15) })]), /, entry 0: needs/],
    ['a secret not a string', JSON.stringify([key({ AccessKeySecret: 1234567890123456 })]), /, entry 0: needs/],
    ['workspaces not a list', JSON.stringify([key({ Workspaces: 'ws' })]), /, entry 0: needs/],
    ['an empty workspace', JSON.stringify([key({ Workspaces: ['ws', ''] })]), /, entry 0: needs/],
    ['a workspace not a string', JSON.stringify([key({ Workspaces: [1] })]), /, entry 0: needs/],
  ])('%s stops the start with the file and entry named', (_name, content, message) => {
    const path = file(content);
    expect(() => accessKeysFromFile(path)).toThrow(message);
    expect(() => accessKeysFromFile(path)).toThrow(path);
  });

  test('a file that cannot be read is named', () => {
    expect(() => accessKeysFromFile(join(dir, 'missing.json'))).toThrow(new RegExp(`^ACCESS_KEYS_FILE ${dir}/missing.json is not readable JSON: `));
  });
});

describe('AZURE_GRANTS_FILE', () => {
  test('subscriptions and registries compare lower-cased; either may be left out; the principal keeps its case', async () => {
    const grants = parseAzureGrants(JSON.stringify([{ principal: 'OID-1', subscriptions: ['SUB-A'] }, { principal: 'oid-2', registries: ['SUB/RG/Reg'] }]), 'test');
    expect(await grants.grantFor('OID-1')).toEqual({ principal: 'OID-1', subscriptions: ['sub-a'], registries: [] });
    expect(await grants.grantFor('oid-2')).toEqual({ principal: 'oid-2', subscriptions: [], registries: ['sub/rg/reg'] });
    expect(await grants.grantFor('oid-1')).toBeUndefined();
  });

  test.each([
    ['not JSON', '[', /^src is not JSON: /],
    ['not an array', '{"principal":"p"}', /^src must hold a JSON array/],
    ['no principal', JSON.stringify([{ subscriptions: ['s'] }]), /^src, entry 0: needs "principal"/],
    ['an empty principal', JSON.stringify([{ principal: '' }]), /entry 0/],
    ['a principal not a string', JSON.stringify([{ principal: 1 }]), /entry 0/],
    ['subscriptions not a list', JSON.stringify([{ principal: 'p', subscriptions: 's' }]), /entry 0/],
    ['an empty subscription', JSON.stringify([{ principal: 'p', subscriptions: [''] }]), /entry 0/],
    ['a registry not a string', JSON.stringify([{ principal: 'p' }, { principal: 'q', registries: [null] }]), /entry 1/],
    ['a null entry', JSON.stringify([null]), /entry 0/],
  ])('%s is refused with the source and entry named', (_name, content, message) => {
    expect(() => parseAzureGrants(content, 'src')).toThrow(message);
  });

  test('the file: read and followed; unreadable or malformed, the start stops naming it', async () => {
    const path = file(JSON.stringify([{ principal: 'p', subscriptions: ['S'] }]));
    expect(await azureGrantsFromFile(path).grantFor('p')).toEqual({ principal: 'p', subscriptions: ['s'], registries: [] });
    expect(() => azureGrantsFromFile(join(dir, 'missing.json'))).toThrow(new RegExp(`^AZURE_GRANTS_FILE ${dir}/missing.json is not readable: `));
    expect(() => azureGrantsFromFile(file('{}'))).toThrow(/^AZURE_GRANTS_FILE .* must hold a JSON array/);
  });
});
