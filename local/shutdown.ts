/**
 * Stopping the local broker without losing work. New work stops first (timer, then requests); then each
 * stage is drained in the order work flows through it (sweep, S3 events, lease feed), since an earlier
 * stage makes work for the later ones; the emulators and clients every stage uses go last.
 */
import type { Server } from 'node:http';
import type { Emulators } from './emulators.js';
import type { EventPipeline } from './event-pipeline.js';
import { closeGateway } from './gateway.js';
import type { SweepTimer } from './sweep-timer.js';

export interface RunningBroker extends EventPipeline {
  readonly sweeps: SweepTimer;
  readonly gateway: Server;
  readonly emulators: Emulators;
  /** The Blob front (AZURE_UPLOADS=blob-front): closed with the gateway, since it takes requests too. */
  readonly front?: { close(): Promise<void> };
  /** The development issuer (JWT_ISSUER=dev): closed with the gateway, the only one that asks it for keys. */
  readonly issuer?: { close(): Promise<void> };
  /** The SDK clients the handlers were built on. */
  readonly clients: { readonly ddb: { destroy(): void }; readonly s3: { destroy(): void } };
}

export async function shutDown(broker: RunningBroker): Promise<void> {
  broker.sweeps.stop();
  await Promise.all([closeGateway(broker.gateway), broker.front?.close()]);
  await broker.issuer?.close();
  await broker.sweeps.finished();
  await broker.emulators.eventsSettled();
  // Events still held back (S3_EVENT_DELAY_MS) are handled now, not after their delay.
  await broker.heldEvents.release();
  await broker.leaseFeed.drain();
  await broker.emulators.close();
  broker.clients.ddb.destroy();
  broker.clients.s3.destroy();
}
