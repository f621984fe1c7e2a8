import { OPEN_AUTH } from '../../shared/auth/contract-auth.js';
import { CONTRACT_CODE } from '../../shared/contracts/code-by-surface.js';
import { type HttpFn } from '../../shared/api/chain.js';
import { type OperationId, operationById } from '../../shared/contracts/registry.js';
import { operationHandler } from '../../shared/api/surface.js';
import type { BrokerDeps } from '../../shared/api/deps.js';

/**
 * One operation's chain exactly as its surface router builds it (edge, the registry's authentication,
 * handler), for tests that call a handler without routing. Deps without `auth` are open (AUTH=none).
 */
export function handlerFor(id: OperationId, deps: object): HttpFn {
  const op = operationById(id);
  return operationHandler(op, CONTRACT_CODE[op.surface], { auth: OPEN_AUTH, ...deps } as BrokerDeps);
}
