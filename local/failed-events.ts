import { appendFile } from 'node:fs/promises';
import { log } from '../shared/log.js';

/**
 * The local mode's failed-events queue (FailedUploadEvents on AWS): an S3 event the handler still
 * fails after its retries is appended here, one JSON line each, with the error, instead of being
 * dropped. It is kept under DATA_DIR, so the event can be looked at and replayed.
 */
export const FAILED_UPLOAD_EVENTS_FILE = 'failed-upload-events.jsonl';

export async function parkFailedEvent(file: string, event: unknown, attempts: number, error: unknown): Promise<void> {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  log.error('S3 event failed after retries; parked', { attempts, file }, error);
  try {
    await appendFile(file, `${JSON.stringify({ parkedAt: new Date().toISOString(), attempts, error: reason, event })}\n`);
  } catch (writeError) {
    // Only the log line is left: say so loudly rather than reject into the emulator's delivery chain.
    log.error('failed S3 event could not be parked', { file }, writeError);
  }
}
