/**
 * DynamoDB without a network, at two depths:
 * - 'send': DynamoDBDocumentClient#send resolves at once (what aws-sdk-client-mock on deps.ddb
 *   does, without sinon's call history). Everything up to the SDK call is measured.
 * - 'wire': the DynamoDBClient's HTTP handler answers 200 `{}`, so the SDK's middleware stack
 *   (marshalling, serialisation, SigV4 signing, retries, parsing) runs as in production.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

export type StubLevel = 'send' | 'wire';

const OK = Object.freeze({ $metadata: Object.freeze({ httpStatusCode: 200 }) });

/** Patches the DocumentClient prototype (shared by ours and by the naive per-call clients); returns the undo. */
export function stubDocumentSend(): () => void {
  const proto = DynamoDBDocumentClient.prototype as unknown as { send: unknown };
  const had = Object.prototype.hasOwnProperty.call(proto, 'send');
  const original = proto.send;
  proto.send = async function send(command: unknown) {
    if (command instanceof PutCommand || command instanceof UpdateCommand) return OK;
    if (command instanceof GetCommand) return OK; // no item
    throw new Error(`bench stub: unexpected command ${(command as object)?.constructor?.name}`);
  };
  return () => {
    if (had) proto.send = original;
    else delete (proto as { send?: unknown }).send;
  };
}

const EMPTY_JSON = new TextEncoder().encode('{}');

/** Replaces the client's HTTP handler; every request gets 200 with an empty JSON object. */
export function stubWire(client: Pick<DynamoDBClient, 'config'>): void {
  const handler = {
    handle: async () => ({
      response: {
        statusCode: 200,
        reason: 'OK',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'BENCH' },
        body: EMPTY_JSON,
      },
    }),
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
    destroy: () => undefined,
  };
  (client.config as unknown as { requestHandler: unknown }).requestHandler = handler;
}
