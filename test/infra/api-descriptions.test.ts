import { describeOperations, LAMBDA_DESCRIPTION_MAX_LENGTH } from '../../infra/api-descriptions.js';

describe('API Lambda descriptions', () => {
  test('list the operation ids while they fit', () => {
    expect(describeOperations(['Leases'], ['GetLease', 'ConsumeLease'])).toBe('Leases contract: GetLease, ConsumeLease');
  });

  test('count the operations once the ids would pass CloudFormation\'s limit', () => {
    const ids = Array.from({ length: 20 }, (_, i) => `AzureWorkspaceCodeVersionOperation${i}`);
    const description = describeOperations(['Azure ML'], ids);
    expect(description.length).toBeLessThanOrEqual(LAMBDA_DESCRIPTION_MAX_LENGTH);
    expect(description).toBe('Azure ML contract: 20 operations (see shared/contracts/registry.ts)');
  });
});
