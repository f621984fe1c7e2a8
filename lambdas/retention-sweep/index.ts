import { loadConfig } from '../../shared/config.js';
import { sweepDueLeases } from '../../shared/lease/sweep.js';
import { createBrokerDeps, withObjects } from '../../shared/runtime.js';

const deps = withObjects(createBrokerDeps(loadConfig()));

/** Runs on an EventBridge schedule; one failed lease never stops the others. */
export const handler = async () => sweepDueLeases(deps);
