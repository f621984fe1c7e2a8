import { randomUUID } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { writeOwnerOnly } from './owner-only-file.js';
import type { LeaseChange } from '../shared/lease/changes.js';
import { statusSince, type LeaseRecord, type LeaseStatus } from '../shared/lease/model.js';
import { needsSettling } from '../shared/lease/changes.js';
import { DependencyError } from '../shared/errors.js';
import { leaseEventFor, type LeaseEvent } from '../shared/lease/events.js';
import { settleLease, type SettleDeps } from '../shared/lease/settle.js';
import { log } from '../shared/log.js';

/**
 * What the lease table's stream drives on AWS, in the local mode: lease events (the EventBridge pipe)
 * appended to `$DATA_DIR/events.jsonl`, and the settler that moves consumed files and deletes deleted
 * ones. Events go out in write order, a failed publish retried until it succeeds; settling is in order
 * per lease.
 *
 * The queue lives in memory, so each event is first written to an outbox (`$DATA_DIR/lease-outbox.jsonl`,
 * synchronously, as the store's write returns): the stand-in for the stream's retention. A start after
 * a crash (`recover`) publishes, in order, every event of the outbox that events.jsonl does not hold
 * (an event's envelope id is its outbox id), then empties it. A settle lost in a crash needs no outbox:
 * the lease stays due and the sweep settles it, as on AWS.
 *
 * That leaves the moment between the store's write and the outbox line: a kill -9 there loses the
 * change (the soak caught a lease whose UPLOADED event was lost so, PENDING then CONSUMED). So a move
 * is announced in the outbox before it is written (`beforeMove`); at the next start, a move announced
 * but never recorded is looked up in the store, and if the lease is in that status and no event says
 * so yet, its event is published from the record.
 */
export interface LocalLeaseFeedOptions {
  readonly eventsFile: string;
  /** `$DATA_DIR/lease-outbox.jsonl`. */
  readonly outboxFile: string;
  readonly bucket: string;
  readonly region: string;
  readonly settleDeps: SettleDeps;
  /** Also print each event line (npm start). */
  readonly print: boolean;
  /** Runs before an event is written; a throw is a failed publish (tests inject faults here). */
  readonly beforePublish?: ((event: LeaseEvent) => void | Promise<void>) | undefined;
}

export interface LocalLeaseFeed {
  /** Before the broker takes work: publishes what a crash left in the outbox; resolves with how many. */
  recover(): Promise<number>;
  onChange(change: LeaseChange): void;
  /** Before a write that would move `leaseId` to `to` (withChangeFeed's beforeMove). */
  beforeMove(leaseId: string, to: LeaseStatus): void;
  /** Resolves once every change fed so far (and any fed meanwhile) is published and settled. */
  drain(): Promise<void>;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SETTLE_ATTEMPTS = 3;

/** One event waiting to be published: its envelope id, and the event. */
interface OutboxEntry {
  readonly id: string;
  readonly event: LeaseEvent;
}

/** A move about to be written: the lease, and the status it would have. */
interface OutboxMove {
  readonly move: string;
  readonly to: LeaseStatus;
}

const isEntry = (line: OutboxEntry | OutboxMove): line is OutboxEntry => 'event' in line;

/** The EventBridge envelope, as a rule target would receive it. */
function envelope(id: string, event: LeaseEvent, region: string) {
  return {
    version: '0',
    id,
    'detail-type': event.detailType,
    source: event.source,
    account: '000000000000',
    time: event.time,
    region,
    resources: [],
    detail: event.detail,
  };
}

export function createLocalLeaseFeed(options: LocalLeaseFeedOptions): LocalLeaseFeed {
  // Two consumers of the changes, as on AWS (the pipe and the settler read the stream apart): events in
  // write order, one at a time; settling in order per lease and leases side by side, so slow object
  // copies never hold events back (a soak with 32 clients left events minutes behind in one queue).
  let events: Promise<void> = Promise.resolve();
  const settling = new Map<string, Promise<void>>();

  async function publish({ id, event }: OutboxEntry): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await options.beforePublish?.(event);
        const line = JSON.stringify(envelope(id, event, options.region));
        await appendFile(options.eventsFile, `${line}\n`);
        if (options.print) console.log(`[lease event] ${line}`);
        return;
      } catch (error) {
        log.warn('lease event not published; retrying', { leaseId: event.detail.leaseId, attempt }, error);
        await delay(Math.min(2000, 25 * 2 ** attempt));
      }
    }
  }

  async function settle(change: LeaseChange): Promise<void> {
    for (let attempt = 1; attempt <= SETTLE_ATTEMPTS; attempt++) {
      try {
        await settleLease(options.settleDeps, change.record);
        return;
      } catch (error) {
        // As on AWS: the lease stays due, so the sweep finishes what the retries could not.
        if (attempt === SETTLE_ATTEMPTS) log.error('lease settling failed; left to the sweep', { leaseId: change.record.leaseId }, error);
        else await delay(50 * attempt);
      }
    }
  }

  return {
    async recover() {
      // A line torn by the crash would join the next one: the next event starts on a line of its own.
      if (endsMidLine(options.eventsFile)) await appendFile(options.eventsFile, '\n');
      const outbox = jsonLines<OutboxEntry | OutboxMove>(options.outboxFile);
      if (outbox.length === 0) return 0;
      const published = jsonLines<{ id: string; detail?: { leaseId?: string; status?: LeaseStatus } }>(options.eventsFile);
      const publishedIds = new Set(published.map((e) => e.id));
      const lastStatus = new Map<string, LeaseStatus>();
      for (const e of published) if (e.detail?.leaseId && e.detail.status) lastStatus.set(e.detail.leaseId, e.detail.status);
      const waiting = outbox.filter(isEntry).filter((e) => !publishedIds.has(e.id));
      for (const entry of waiting) {
        await publish(entry);
        lastStatus.set(entry.event.detail.leaseId, entry.event.detail.status);
      }
      let fromStore = 0;
      // Moves whose event is already out need no look; the rest are read at once (BatchGetItem).
      const moves = unrecordedMoves(outbox).filter((m) => lastStatus.get(m.move) !== m.to);
      const records = moves.length ? await withRetries(() => options.settleDeps.store.getMany([...new Set(moves.map((m) => m.move))])) : new Map<string, LeaseRecord>();
      for (const move of moves) {
        const record = records.get(move.move);
        // Not written (its condition failed, or the kill came first), or its event is already out.
        if (!record || record.status !== move.to || lastStatus.get(record.leaseId) === record.status) continue;
        const time = statusSince(record) ?? options.settleDeps.clock.now();
        const event = leaseEventFor(lastStatus.get(record.leaseId), record, { time, bucket: options.bucket });
        if (!event) continue;
        await publish({ id: randomUUID(), event });
        lastStatus.set(record.leaseId, record.status);
        fromStore++;
      }
      writeOwnerOnly(options.outboxFile, '');
      const count = waiting.length + fromStore;
      if (count) log.warn('lease events recovered after an unclean stop', { fromOutbox: waiting.length, fromStore });
      return count;
    },
    beforeMove(leaseId, to) {
      // Synchronously, before the write is sent: see the note at the top.
      appendFileSync(options.outboxFile, `${JSON.stringify({ move: leaseId, to } satisfies OutboxMove)}\n`);
    },
    onChange(change) {
      const event = leaseEventFor(change.previous, change.record, { time: change.time, bucket: options.bucket });
      const entry = event && { id: randomUUID(), event };
      // Synchronously, before anything else can run: a crash from here on loses nothing.
      if (entry) {
        appendFileSync(options.outboxFile, `${JSON.stringify(entry)}\n`);
        events = events.then(() => publish(entry));
      }
      if (needsSettling(change.record)) {
        const leaseId = change.record.leaseId;
        const next = (settling.get(leaseId) ?? Promise.resolve()).then(() => settle(change));
        settling.set(leaseId, next);
        void next.then(() => settling.get(leaseId) === next && settling.delete(leaseId));
      }
    },
    async drain() {
      // Until nothing is queued: work done now may queue more (a settle's own transition).
      for (;;) {
        const queued = events;
        await Promise.all([queued, ...settling.values()]);
        if (queued === events && settling.size === 0) return;
      }
    },
  };
}

/** Attempts at a read during recovery: a throttled DynamoDB at start is waited out, not a failed start. */
const RECOVERY_READ_ATTEMPTS = 10;

async function withRetries<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      if (!(error instanceof DependencyError) || attempt === RECOVERY_READ_ATTEMPTS) throw error;
      await delay(Math.min(2000, 50 * 2 ** attempt));
    }
  }
}

/**
 * Moves announced with no outbox event for that lease after them. One life of the broker writes the
 * outbox (a start empties it), and every write that returned in that life has its line: so a move with
 * a later line for its lease was written and recorded, or lost to a write that was. Only a lease's
 * last moves can be the ones a kill cut off.
 */
function unrecordedMoves(outbox: readonly (OutboxEntry | OutboxMove)[]): OutboxMove[] {
  const open = new Map<string, OutboxMove[]>();
  for (const line of outbox) {
    if (!isEntry(line)) open.set(line.move, [...(open.get(line.move) ?? []), line]);
    else open.delete(line.event.detail.leaseId);
  }
  return [...open.values()].flat();
}

/** Whether a non-empty file's last byte is not a newline; only that byte is read (events.jsonl only grows). */
function endsMidLine(file: string): boolean {
  if (!existsSync(file)) return false;
  const { size } = statSync(file);
  if (size === 0) return false;
  const fd = openSync(file, 'r');
  try {
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    closeSync(fd);
  }
}

/** A JSON-lines file's entries; a line a crash cut short is skipped. */
function jsonLines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  const out: T[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // torn by a crash: its event, if any, is still in the outbox (or was never written)
    }
  }
  return out;
}
