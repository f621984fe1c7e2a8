/**
 * Every public route, once: the CDK stack, the local HTTP adapter and the OpenAPI document all read
 * this table, so no route can exist in one and not the others.
 */
export type LambdaName = 'azure-start-pending-upload' | 'alibaba-apply-file-upload-lease' | 'get-lease';

export interface RouteSpec {
  readonly id: string;
  readonly method: 'GET' | 'POST';
  /** API Gateway HTTP API path template. */
  readonly path: string;
  readonly lambda: LambdaName;
}

const ARM_PREFIX = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningServices';

export const ROUTES: readonly RouteSpec[] = Object.freeze([
  {
    id: 'AzureWorkspaceCodeVersionStartPendingUpload',
    method: 'POST',
    path: `${ARM_PREFIX}/workspaces/{workspaceName}/codes/{name}/versions/{version}/startPendingUpload`,
    lambda: 'azure-start-pending-upload',
  },
  {
    id: 'AzureRegistryCodeVersionStartPendingUpload',
    method: 'POST',
    path: `${ARM_PREFIX}/registries/{registryName}/codes/{name}/versions/{version}/startPendingUpload`,
    lambda: 'azure-start-pending-upload',
  },
  {
    id: 'ApplyFileUploadLease',
    method: 'POST',
    path: '/{WorkspaceId}/datacenter/category/{CategoryId}',
    lambda: 'alibaba-apply-file-upload-lease',
  },
  { id: 'GetLease', method: 'GET', path: '/leases/{leaseId}', lambda: 'get-lease' },
]);

export const routeKey = (route: RouteSpec): string => `${route.method} ${route.path}`;
