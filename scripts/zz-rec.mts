import { GetItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { LOCAL_CREDENTIALS, startEmulators } from '../local/emulators.js';
const e = await startEmulators({ dataDir: '/tmp/soak6copy', bucket: 'upload-lease-broker-local', table: 'upload-leases', region: 'us-east-1', s3Port: 0 });
const ddb = new DynamoDBClient({ endpoint: e.dynamoEndpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
for (const id of process.argv.slice(2)) {
  const r = await ddb.send(new GetItemCommand({ TableName: 'upload-leases', Key: { leaseId: { S: id } }, ConsistentRead: true }));
  const item = unmarshall(r.Item!);
  for (const k of ['createdAt','uploadedAt','consumedAt','movedAt','dueAt','retainUntil']) if (typeof item[k] === 'number') item[k] = new Date(item[k]).toISOString();
  console.log(JSON.stringify(item));
}
ddb.destroy(); await e.close();
