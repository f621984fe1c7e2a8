/**
 * The bucket notification configuration of the template, applied to the embedded S3's object-created
 * records: a record reaches a function only if its event name and key match that function's
 * configuration (S3 filters on the decoded key: prefix and suffix). Lambda invokes asynchronously,
 * retried as the function's EventInvokeConfig says; what still fails goes to `failed` (its
 * on-failure destination). Records matching no configuration are kept in `unmatched` for diagnostics.
 */
import type { S3EventRecord } from 'aws-lambda';
import type { S3NotificationSpec } from './template.js';

export interface NotificationDelivery {
  readonly key: string;
  readonly functionId?: string;
  readonly error?: string;
}

const decodeKey = (key: string) => decodeURIComponent(key.replace(/\+/g, ' '));

/** `s3:ObjectCreated:*` covers every ObjectCreated event; otherwise names must be equal. */
export function eventMatches(configured: string, eventName: string): boolean {
  const name = `s3:${eventName}`;
  return configured.endsWith(':*') ? name.startsWith(configured.slice(0, -1)) : configured === name;
}

export function notificationMatches(spec: S3NotificationSpec, record: S3EventRecord): boolean {
  const key = decodeKey(record.s3.object.key);
  return (
    spec.events.some((e) => eventMatches(e, record.eventName)) &&
    (spec.prefix === undefined || key.startsWith(spec.prefix)) &&
    (spec.suffix === undefined || key.endsWith(spec.suffix))
  );
}

export interface S3Notifier {
  onObjectCreated(event: { Records: S3EventRecord[] }): Promise<void>;
  readonly delivered: NotificationDelivery[];
  readonly unmatched: NotificationDelivery[];
  readonly failed: NotificationDelivery[];
}

export function s3Notifier(
  specs: readonly S3NotificationSpec[],
  bucketIdOfName: (name: string) => string | undefined,
  invokeAsync: (functionId: string, event: unknown) => Promise<void>,
): S3Notifier {
  const delivered: NotificationDelivery[] = [];
  const unmatched: NotificationDelivery[] = [];
  const failed: NotificationDelivery[] = [];
  return {
    delivered,
    unmatched,
    failed,
    async onObjectCreated(event) {
      await Promise.all(
        event.Records.map(async (record) => {
          const key = decodeKey(record.s3.object.key);
          const bucketId = bucketIdOfName(record.s3.bucket.name);
          const targets = specs.filter((s) => s.bucketId === bucketId && notificationMatches(s, record));
          if (targets.length === 0) unmatched.push({ key });
          await Promise.all(
            targets.map(async (t) => {
              try {
                await invokeAsync(t.functionId, { Records: [record] });
                delivered.push({ key, functionId: t.functionId });
              } catch (error) {
                failed.push({ key, functionId: t.functionId, error: (error as Error).message });
              }
            }),
          );
        }),
      );
    },
  };
}
