/**
 * What reads the table's stream in the template: the pipe (filter, enrichment Lambda, event bus) and
 * Lambda event source mappings (filter, batch, partial batch failures). Each consumer works its own
 * copy of the stream in order, one batch at a time, with the template's filter patterns, batch size and
 * retry count; records it gives up on are parked (the DLQ / on-failure destination).
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { passesFilters } from './event-filter.js';
import type { StreamConsumerSpec } from './template.js';

export interface BusEvent {
  readonly source: string;
  readonly detailType: string;
  readonly time: string;
  readonly detail: unknown;
}

export interface ParkedRecord {
  readonly consumer: string;
  readonly eventID: string;
  readonly error: string;
}

export interface StreamConsumers {
  push(record: DynamoDBRecord): void;
  /** Resolves once every record pushed so far (and any pushed meanwhile) is consumed or parked. */
  drain(): Promise<void>;
  readonly bus: BusEvent[];
  readonly parked: ParkedRecord[];
  /** Records each consumer's filter let through, by consumer id. */
  readonly passed: Record<string, number>;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The pipe's target parameters for an event bus: `$.path` selects from the enrichment's output item. */
function pick(item: any, expr: string | undefined): any {
  if (!expr || !expr.startsWith('$.')) return expr;
  return expr.slice(2).split('.').reduce((o, k) => o?.[k], item);
}

export function streamConsumers(
  specs: readonly StreamConsumerSpec[],
  invoke: (functionId: string, event: unknown) => Promise<unknown>,
  pipeTarget: (consumerId: string) => { source?: string; detailType?: string; time?: string; inputTemplate?: string },
): StreamConsumers {
  const bus: BusEvent[] = [];
  const parked: ParkedRecord[] = [];
  const passed: Record<string, number> = {};
  const tails = new Map<string, Promise<void>>(specs.map((s) => [s.id, Promise.resolve()]));

  async function deliver(spec: StreamConsumerSpec, batch: DynamoDBRecord[]): Promise<void> {
    let pending = batch;
    for (let attempt = 0; pending.length > 0; attempt++) {
      try {
        if (spec.kind === 'pipe-enrichment') {
          const out = await invoke(spec.functionId, pending);
          const target = pipeTarget(spec.id);
          for (const item of Array.isArray(out) ? out : [out]) {
            const detail = target.inputTemplate === '<$.detail>' ? item?.detail : item;
            bus.push({ source: String(target.source), detailType: String(pick(item, target.detailType)), time: String(pick(item, target.time)), detail });
          }
          return;
        }
        const out = (await invoke(spec.functionId, { Records: pending })) as { batchItemFailures?: { itemIdentifier: string }[] } | null;
        const failures = spec.reportBatchItemFailures ? (out?.batchItemFailures ?? []) : [];
        if (failures.length === 0) return;
        // Retry from the first failed record on (ordered processing).
        const first = pending.findIndex((r) => r.dynamodb?.SequenceNumber === failures[0]!.itemIdentifier);
        if (first < 0) throw new Error(`batchItemFailures names ${failures[0]!.itemIdentifier}, not a record of the batch`);
        pending = pending.slice(first);
        throw new Error(`partial batch failure from ${failures[0]!.itemIdentifier}`);
      } catch (error) {
        if (attempt >= spec.maximumRetryAttempts) {
          for (const r of pending) parked.push({ consumer: spec.id, eventID: r.eventID ?? '', error: (error as Error).message });
          return;
        }
        await pause(Math.min(500, 20 * 2 ** attempt));
      }
    }
  }

  return {
    bus,
    parked,
    passed,
    push(record) {
      for (const spec of specs) {
        if (!passesFilters(spec.filters, record)) continue;
        passed[spec.id] = (passed[spec.id] ?? 0) + 1;
        tails.set(spec.id, tails.get(spec.id)!.then(() => deliver(spec, [record])));
      }
    },
    async drain() {
      for (const id of tails.keys()) {
        for (let seen: Promise<void> | undefined; seen !== tails.get(id); ) {
          seen = tails.get(id)!;
          await seen;
        }
      }
    },
  };
}
