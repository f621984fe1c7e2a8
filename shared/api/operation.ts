import type { OperationAuth } from '../auth/contract-auth.js';

/**
 * What a contract declares about each of its operations. Data only (no handler code), so the validator
 * build can read it before shared/generated exists; the handlers are bound in each contract's index.ts.
 */
export const SURFACES = ['azure', 'alibaba', 'leases'] as const;
/** An API surface: one Lambda serves all of a surface's operations. */
export type Surface = (typeof SURFACES)[number];

type Schema = { readonly $id: string } & Record<string, unknown>;

export interface OperationSpec {
  /** Route id: OpenAPI operationId, per-route throttling key. */
  readonly id: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** API Gateway HTTP API path template. */
  readonly path: string;
  readonly surface: Surface;
  readonly auth: OperationAuth;
  /** Standalone validators the handler imports from shared/generated/validators.js: export name -> schema. */
  readonly validators: Readonly<Record<string, Schema>>;
  /** For the OpenAPI document. */
  readonly doc: {
    readonly pathSchema: { readonly properties: Readonly<Record<string, object>> };
    readonly okSchema: Schema;
    readonly query?: readonly object[];
    readonly requestBody?: object;
    /** Statuses beyond 200, 400, 500 and 503 (and 415 when there is a body). */
    readonly extraResponses?: Readonly<Record<string, string>>;
  };
}

export interface ContractSpec {
  /** As leases record it (`contract`) and logs name it. */
  readonly name: string;
  /** OpenAPI tag. */
  readonly tag: string;
  /** The contract's error body, for the OpenAPI document. */
  readonly errorSchema: Schema;
  readonly operations: readonly OperationSpec[];
}
