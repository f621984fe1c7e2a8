/**
 * Counts what the broker asks of DynamoDB and S3, by instrumenting the SDK clients themselves (one
 * middleware per client), so the cost bench counts what the code does rather than what we think it
 * does. DynamoDB capacity comes from the emulator's own ConsumedCapacity (item-size based, as on AWS);
 * the due index's writes are derived from each write's expression (dynalite reports none for indexes).
 */

type Stack = { add(middleware: unknown, options: unknown): void; remove(name: string): boolean };
type Client = { middlewareStack: Stack };
type Next = (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>;
type Context = { commandName?: string };

export interface RequestCounts {
  /** Requests by command name, e.g. dynamodb.UpdateItem, s3.DeleteObjects. */
  readonly requests: Record<string, number>;
  /** DynamoDB read and write request units on the table; index writes on the due index. */
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly indexWriteUnits: number;
  /** Successful writes of lease items: the records the table's stream carries to the lease-events pipe. */
  readonly leaseStreamRecords: number;
}

const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan']);
const LEASE_ID = /^[0-9a-f]{32}(\.\d+)?$/;

const units = (consumed: unknown): number =>
  (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce((sum: number, c: { CapacityUnits?: number }) => sum + (c.CapacityUnits ?? 0), 0);

/**
 * The due index's write units for one lease write: an entry appears (PutItem with it), moves (SET of its
 * key: a delete and a put), or goes (REMOVE of its key). Lease items are under 1 KB, so 1 unit each.
 */
function indexWrites(command: string, input: Record<string, unknown>): number {
  if (command === 'PutItem') return (input.Item as Record<string, unknown> | undefined)?.dueShard !== undefined ? 1 : 0;
  if (command !== 'UpdateItem') return 0;
  const expression = String(input.UpdateExpression ?? '');
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const alias = Object.entries(names).find(([, name]) => name === 'dueShard')?.[0];
  if (!alias) return 0;
  const [set = '', remove = ''] = [/SET (.*?)(?: REMOVE |$)/.exec(expression)?.[1], /REMOVE (.*)$/.exec(expression)?.[1]];
  if (set.includes(`${alias} =`)) return 2;
  return remove.includes(alias) ? 1 : 0;
}

function leaseIdOf(input: Record<string, unknown>): string | undefined {
  // Plain (DocumentClient) or marshalled ({ S: ... }) depending on where in the stack this runs.
  const id = ((input.Item ?? input.Key) as Record<string, unknown> | undefined)?.leaseId as string | { S?: string } | undefined;
  return typeof id === 'string' ? id : id?.S;
}

export function countRequests(clients: { dynamodb: unknown; s3: unknown }) {
  const counts = { requests: {} as Record<string, number>, readUnits: 0, writeUnits: 0, indexWriteUnits: 0, leaseStreamRecords: 0 };
  const name = 'benchRequestCounter';
  const middleware = (service: 'dynamodb' | 's3') => (next: Next, context: Context) => async (args: { input: Record<string, unknown> }) => {
    const command = (context.commandName ?? 'Unknown').replace(/Command$/, '');
    const key = `${service}.${command}`;
    // Counted once answered: a presigner runs the same stack but never sends (its output is the URL).
    const count = () => void (counts.requests[key] = (counts.requests[key] ?? 0) + 1);
    if (service === 's3') {
      try {
        const result = await next(args);
        if (result.output !== undefined && !('presigned' in result.output)) count();
        return result;
      } catch (error) {
        count();
        throw error;
      }
    }
    count();
    args.input.ReturnConsumedCapacity ??= 'TOTAL';
    const isLeaseWrite = !READS.has(command) && LEASE_ID.test(leaseIdOf(args.input) ?? '');
    try {
      const result = await next(args);
      const used = units(result.output.ConsumedCapacity);
      if (READS.has(command)) counts.readUnits += used;
      else counts.writeUnits += used;
      counts.indexWriteUnits += indexWrites(command, args.input);
      if (isLeaseWrite) counts.leaseStreamRecords++;
      return result;
    } catch (error) {
      // A failed conditional write is billed as a write of the item.
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') counts.writeUnits += 1;
      throw error;
    }
  };
  const added: Array<[Client, string]> = [];
  for (const [service, client] of [['dynamodb', clients.dynamodb], ['s3', clients.s3]] as const) {
    // Before the marshaller (DocumentClient) would be too early for commandName: `initialize` of the base client sees both.
    (client as Client).middlewareStack.add(middleware(service), { step: 'initialize', name, override: true });
    added.push([client as Client, name]);
  }
  return {
    snapshot: (): RequestCounts => structuredClone(counts),
    reset() {
      counts.requests = {};
      counts.readUnits = counts.writeUnits = counts.indexWriteUnits = counts.leaseStreamRecords = 0;
    },
    stop() {
      for (const [client, n] of added) client.middlewareStack.remove(n);
    },
  };
}
