import { ConfigError } from '../shared/config.js';

/**
 * S3_EVENT_DELAY_MS: the local mode holds every S3 event back this long before it is handled, to show
 * that no answer depends on when an event arrives (on AWS they come well after the PUT's 200,
 * sometimes seconds after). Events are held side by side, not queued behind each other, so a
 * delay of 5 s is 5 s for every upload, as on AWS.
 */
export interface HeldEvents<E> {
  /** Hands `event` on after the delay (at once when there is none). */
  deliver(event: E): Promise<void>;
  /** Resolves once every event handed in so far (and any handed in meanwhile) has been handled. */
  settled(): Promise<void>;
  /** Hands every held event on now, and later ones at once (close). */
  release(): Promise<void>;
}

export function s3EventDelayMs(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.S3_EVENT_DELAY_MS?.trim();
  if (!raw) return 0;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0 || ms > 600_000) throw new ConfigError(`S3_EVENT_DELAY_MS must be a whole number of milliseconds from 0 to 600000, got "${raw}"`);
  return ms;
}

export function holdEvents<E>(delayMs: number, handle: (event: E) => Promise<void>): HeldEvents<E> {
  const held = new Map<Promise<void>, () => void>();
  let closing = false;
  return {
    deliver(event) {
      if (delayMs === 0 || closing) return handle(event);
      let release!: () => void;
      const due = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        release = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      const done: Promise<void> = due.then(() => handle(event)).finally(() => held.delete(done));
      held.set(done, release);
      // The emulator's delivery chain moves on: the next upload's event is not held behind this one.
      return Promise.resolve();
    },
    async settled() {
      while (held.size > 0) await Promise.all(held.keys());
    },
    async release() {
      closing = true;
      for (const release of held.values()) release();
      await this.settled();
    },
  };
}
