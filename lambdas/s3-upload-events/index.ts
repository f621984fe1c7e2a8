import { loadConfig } from '../../shared/config.js';
import { s3UploadEventHandler } from '../../shared/events/s3-upload-handler.js';
import { createBrokerDeps, withObjects } from '../../shared/runtime.js';

const deps = withObjects(createBrokerDeps(loadConfig()));

export const handler = s3UploadEventHandler(deps);
