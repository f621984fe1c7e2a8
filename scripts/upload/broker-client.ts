import { basename } from 'node:path';
import { authenticate, type AuthScheme } from './auth.js';

/** What the CLI needs of a contract: where to ask for a lease, where to consume it. */
export type Target =
  | { readonly contract: 'alibaba'; readonly workspace: string; readonly category: string }
  | {
      readonly contract: 'azure';
      readonly subscription: string;
      readonly resourceGroup: string;
      readonly workspace: string;
      readonly name: string;
      readonly version: string;
    };

export interface Lease {
  readonly leaseId: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  /** Azure: the blob URI a code version is created with. */
  readonly blobUri?: string;
}

export class BrokerError extends Error {
  override readonly name = 'BrokerError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

const API_VERSION = '2025-09-01';
const armBase = (t: Extract<Target, { contract: 'azure' }>) =>
  `/subscriptions/${encodeURIComponent(t.subscription)}/resourceGroups/${encodeURIComponent(t.resourceGroup)}/providers/Microsoft.MachineLearningServices/workspaces/${encodeURIComponent(t.workspace)}/codes/${encodeURIComponent(t.name)}/versions/${encodeURIComponent(t.version)}`;

export class BrokerClient {
  constructor(
    private readonly baseUrl: string,
    private readonly auth: AuthScheme,
  ) {}

  private async call(method: string, path: string, body?: { type: 'form' | 'json'; text: string }): Promise<any> {
    const url = new URL(this.baseUrl.replace(/\/$/, '') + path);
    const headers = await authenticate(
      {
        method,
        url,
        headers: body ? { 'content-type': body.type === 'form' ? 'application/x-www-form-urlencoded' : 'application/json' } : {},
        ...(body ? { body: body.text } : {}),
      },
      this.auth,
    );
    let res: Response;
    try {
      res = await fetch(url, { method, headers, ...(body ? { body: body.text } : {}) });
    } catch (error) {
      throw new BrokerError(`cannot reach the broker at ${url.origin} (${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}): is it running, or is the base URL right?`);
    }
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      // Each contract's own error format: Alibaba {Code, Message}, ARM {error: {code, message}}, the broker's {error: {...}} or {message}.
      const reason = json?.Message ?? json?.error?.message ?? json?.message ?? text.slice(0, 200);
      const code = json?.Code ?? json?.error?.code;
      throw new BrokerError(`${method} ${url.pathname} answered ${res.status}${code ? ` ${code}` : ''}: ${reason}`, res.status);
    }
    return json;
  }

  async lease(target: Target, file: { path: string; size: number; md5Hex: string }): Promise<Lease> {
    if (target.contract === 'alibaba') {
      const form = new URLSearchParams({ FileName: basename(file.path), Md5: file.md5Hex, SizeInBytes: String(file.size) }).toString();
      const out = await this.call('POST', `/${encodeURIComponent(target.workspace)}/datacenter/category/${encodeURIComponent(target.category)}`, { type: 'form', text: form });
      const { FileUploadLeaseId, Param } = out.Data;
      return { leaseId: FileUploadLeaseId, method: Param.Method, url: Param.Url, headers: Param.Headers ?? {} };
    }
    const out = await this.call('POST', `${armBase(target)}/startPendingUpload?api-version=${API_VERSION}`, {
      type: 'json',
      text: JSON.stringify({ pendingUploadType: 'TemporaryBlobReference' }),
    });
    const ref = out.blobReferenceForConsumption;
    // The lease id is the broker's x-lease-id header; the key of the blob URI carries it too.
    const leaseId = decodeURIComponent(new URL(ref.blobUri).pathname).split('/tmp/')[1]?.split('/')[0];
    if (!leaseId) throw new BrokerError(`the blob URI ${ref.blobUri} names no lease`);
    return { leaseId, method: 'PUT', url: ref.credential.sasUri, headers: {}, blobUri: ref.blobUri };
  }

  status(leaseId: string): Promise<any> {
    return this.call('GET', `/leases/${encodeURIComponent(leaseId)}`);
  }

  /** AddFile for Alibaba, the code version for Azure: what each contract's clients do next. */
  async consume(target: Target, lease: Lease): Promise<{ fileId?: string; codeVersionId?: string }> {
    if (target.contract === 'alibaba') {
      const form = new URLSearchParams({ LeaseId: lease.leaseId, Parser: 'DASHSCOPE_DOCMIND', CategoryId: target.category }).toString();
      const out = await this.call('PUT', `/${encodeURIComponent(target.workspace)}/datacenter/file`, { type: 'form', text: form });
      return { fileId: out.Data.FileId };
    }
    const out = await this.call('PUT', `${armBase(target)}?api-version=${API_VERSION}`, { type: 'json', text: JSON.stringify({ properties: { codeUri: lease.blobUri } }) });
    return { codeVersionId: out.id };
  }
}
