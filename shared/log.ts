/** One JSON line per log entry, as Lambda's JSON log format and CloudWatch Insights expect. */
type Level = 'debug' | 'info' | 'warn' | 'error';

function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  const cause = (error as { cause?: unknown }).cause;
  return {
    error: { name: error.name, message: error.message, stack: error.stack },
    ...(cause instanceof Error ? { cause: { name: cause.name, message: cause.message } } : {}),
  };
}

function write(level: Level, message: string, fields?: Record<string, unknown>, error?: unknown): void {
  if (process.env.BROKER_LOG_LEVEL === 'silent') return;
  const line = JSON.stringify({ level, message, timestamp: new Date().toISOString(), ...fields, ...(error !== undefined ? errorFields(error) : {}) });
  (level === 'error' || level === 'warn' ? console.error : console.log)(line);
}

export const log = {
  info: (message: string, fields?: Record<string, unknown>) => write('info', message, fields),
  warn: (message: string, fields?: Record<string, unknown>, error?: unknown) => write('warn', message, fields, error),
  error: (message: string, fields?: Record<string, unknown>, error?: unknown) => write('error', message, fields, error),
};
