import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** The untyped CommonJS emulator packages, typed as far as the local mode uses them. */

export interface KoaContext {
  req: IncomingMessage;
  res: ServerResponse;
  request: { req: IncomingMessage };
  response: { req: IncomingMessage };
  method: string;
  query: Record<string, string | string[] | undefined>;
  ip: string;
  status: number;
  type: string;
  body: unknown;
}
export type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

export interface S3rverRecord {
  eventName: string;
  eventTime: string;
  requestParameters?: { sourceIPAddress?: string };
  s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string } };
}

export interface S3rverInstance {
  middleware: KoaMiddleware[];
  store: { getMetadata(bucket: string, key: string): Promise<{ etag: string; 'content-length': number }> };
  configureBuckets(): Promise<unknown>;
  listen(port: number, host: string, callback: () => void): Server;
  on(event: 'event', listener: (event: { Records: S3rverRecord[] }) => void): unknown;
}
export type S3rverCtor = new (options: Record<string, unknown>) => S3rverInstance;
export type Dynalite = (options: Record<string, unknown>) => Server;
export interface LevelDb {
  open(): Promise<void>;
  close(): Promise<void>;
}
export type LevelCtor = new (location: string) => LevelDb;
