import type { ContractCode } from '../api/contract-code.js';
import type { Surface } from '../api/operation.js';
import { alibabaContract } from './alibaba/index.js';
import { azureContract } from './azure/index.js';
import { leasesContract } from './leases/index.js';

/** Every contract's code by surface (the local server and tests; each Lambda imports only its own). */
export const CONTRACT_CODE: Readonly<Record<Surface, ContractCode>> = { azure: azureContract, alibaba: alibabaContract, leases: leasesContract };
