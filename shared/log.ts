import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One JSON object per line (Powertools Logger): level, message, service, timestamp, the Lambda
 * request id, and whatever keys the current request appended (contract request id, API Gateway
 * request id, lease id). Powertools writes straight to stdout, so Lambda's JSON log format keeps the
 * fields as fields instead of wrapping the line in `message`; the level comes from
 * POWERTOOLS_LOG_LEVEL or Lambda's AWS_LAMBDA_LOG_LEVEL (application log level).
 */
export const logger = new Logger({ serviceName: 'upload-lease-broker' });

type Fields = Record<string, unknown>;

/** Tests and benches silence the broker's logs with BROKER_LOG_LEVEL=silent, read per call. */
const silent = () => process.env.BROKER_LOG_LEVEL === 'silent';

/** The few calls the broker makes; an error goes under `error` with its name, message, stack and cause. */
export const log = {
  info: (message: string, fields: Fields = {}) => {
    if (!silent()) logger.info(message, fields);
  },
  warn: (message: string, fields: Fields = {}, error?: unknown) => {
    if (!silent()) logger.warn(message, withError(fields, error));
  },
  error: (message: string, fields: Fields = {}, error?: unknown) => {
    if (!silent()) logger.error(message, withError(fields, error));
  },
};

function withError(fields: Fields, error: unknown): Fields {
  if (error === undefined) return fields;
  return { ...fields, error: error instanceof Error ? error : new Error(String(error)) };
}

/** Adds keys (for example the lease id) to every later line of the current request. */
export const logKeys = (keys: Fields): void => logger.appendKeys(keys);
