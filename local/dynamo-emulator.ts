import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { createTableInput, LEASE_TABLE } from '../shared/adapters/lease-table.js';
import type { Dynalite, LevelCtor } from './emulator-packages.js';
import { closeServer, whenListening } from './servers.js';

/** dynalite (DynamoDB in this process) on a data directory, with the lease table created as the stack creates it. */
const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as Dynalite;
/** dynalite's own LevelDB binding, resolved from dynalite's location. */
const { Level } = createRequire(require.resolve('dynalite'))('level') as { Level: LevelCtor };

/**
 * dynalite throws LevelDB errors from its request handler, so a data directory locked by another
 * process would crash this one on the first request. Open it once first to fail with a clear error.
 */
async function assertDynamoDirFree(dir: string): Promise<void> {
  const db = new Level(dir);
  try {
    await db.open();
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED') {
      throw new Error(`DynamoDB data directory ${dir} is in use by another process`, { cause: err });
    }
    throw err;
  }
  await db.close();
}

function errorName(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'name' in err ? String((err as { name: unknown }).name) : undefined;
}

export async function ensureTable(client: DynamoDBClient, table: string): Promise<void> {
  try {
    await client.send(new CreateTableCommand(createTableInput(table)));
  } catch (err) {
    // Created on an earlier run against the same data directory.
    if (errorName(err) !== 'ResourceInUseException') throw err;
  }
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    if (Table?.TableStatus === 'ACTIVE') break;
    if (Date.now() > deadline) throw new Error(`table ${table} is still ${Table?.TableStatus} after 10 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: table,
        TimeToLiveSpecification: { AttributeName: LEASE_TABLE.ttlAttribute, Enabled: true },
      }),
    );
  } catch (err) {
    // dynalite has no UpdateTimeToLive (and never expires items); any other failure is real.
    if (errorName(err) !== 'UnknownOperationException') throw err;
  }
}


/** Starts dynalite on `dir`; a directory locked by another process is a clear error, not a crash. */
export async function startDynalite(dir: string, host: string, port: number): Promise<{ server: Server; port: number }> {
  await assertDynamoDirFree(dir);
  const server = dynalite({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  try {
    server.listen(port, host);
    return { server, port: await whenListening(server) };
  } catch (err) {
    // dynalite only closes its LevelDB (and releases the directory lock) from a server that
    // listens, so bind it to a free loopback port just to shut it down.
    await (async () => {
      server.listen(0, '127.0.0.1');
      await whenListening(server);
      await closeServer(server, (cb) => server.close(cb));
    })().catch(() => undefined);
    throw err;
  }
}
