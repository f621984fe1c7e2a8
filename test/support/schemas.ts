import Ajv2020 from 'ajv';
import addFormats from 'ajv-formats';
import {
  alibabaErrorSchema,
  alibabaResponseSchema,
  armErrorSchema,
  azureResponseSchema,
  brokerErrorSchema,
  leaseViewSchema,
} from '../../shared/schemas/index.js';
import { addFileResponseSchema, describeFileResponseSchema } from '../../shared/schemas/alibaba-files.js';
import { codeVersionResponseSchema } from '../../shared/schemas/azure-code-versions.js';

/** Response schemas compiled at test time: every response a test sees is checked against the contract. */
const ajv = new Ajv2020.default({ strict: true, allErrors: true });
addFormats.default(ajv);

const compile = (schema: object) => {
  const validate = ajv.compile(schema);
  return (data: unknown): void => {
    if (!validate(data)) throw new Error(`response does not match ${(schema as { $id: string }).$id}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(data)}`);
  };
};

export const expectAzureResponse = compile(azureResponseSchema);
export const expectArmError = compile(armErrorSchema);
export const expectAlibabaResponse = compile(alibabaResponseSchema);
export const expectAlibabaError = compile(alibabaErrorSchema);
export const expectLeaseView = compile(leaseViewSchema);
export const expectBrokerError = compile(brokerErrorSchema);
export const expectCodeVersion = compile(codeVersionResponseSchema);
export const expectAddFileResponse = compile(addFileResponseSchema);
export const expectDescribeFileResponse = compile(describeFileResponseSchema);
