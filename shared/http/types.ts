import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2 & { statusCode: number; headers: Record<string, string> };

/** How one contract speaks at the edge: request ids, headers and its error format. */
export interface ContractEdge {
  readonly name: string;
  newRequestId(): string;
  /** Headers every response of this contract carries (request ids, echoes). */
  responseHeaders(event: HttpEvent, requestId: string): Record<string, string>;
  /** Maps any thrown value to this contract's error response. The one place errors get a wire format. */
  errorResponse(error: unknown, requestId: string): HttpResult;
}
