import { AZURE_LEASE_ID } from '../../ids.js';
import type { ContainerPresigner } from '../../lease/ports.js';
import { containerSasQuery, type SasPermission } from './container-sas.js';

/**
 * The Azure lease as a Blob container behind the Blob front (infra/blob-front/): the container is the
 * lease id, its URL `<front>/<leaseId>`, and the credential a container SAS the front's viewer-request
 * function verifies with the same key. Read, create and write: what azure-ai-ml and @azure/storage-blob
 * do (HEAD, Put Blob, Set Blob Metadata); no list, no delete.
 */
export const CONTAINER_SAS_PERMISSIONS: readonly SasPermission[] = ['r', 'c', 'w'];

export interface BlobFrontOptions {
  /** The front's origin, `https://...` without a path (config.blobFrontUrl). */
  readonly url: string;
  /** The SAS signing key (Secrets Manager on AWS, cached: adapters/front-signing-key.ts). */
  readonly signingKey: () => Promise<string>;
}

export function blobFrontContainers(options: BlobFrontOptions): ContainerPresigner {
  // The origin, and the account segment a local front has (config.ts blobFrontUrl).
  const base = new URL(options.url);
  const account = base.pathname.replace(/\/+$/, '');
  const root = `${base.origin}${account}`;
  return {
    async presignContainer(leaseId, expiresAtMs) {
      const key = await options.signingKey();
      return `${root}/${leaseId}?${containerSasQuery({ container: leaseId, permissions: CONTAINER_SAS_PERMISSIONS, expiresAt: expiresAtMs, key })}`;
    },
    containerUrl: (leaseId) => `${root}/${leaseId}`,
    leaseIdOfUrl(url) {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        return undefined;
      }
      if (parsed.origin !== base.origin || !parsed.pathname.startsWith(`${account}/`)) return undefined;
      // azure-ai-ml joins the blob URI with "<container>/<dir>": the segment after the account is the container.
      const container = parsed.pathname.slice(account.length).split('/')[1] ?? '';
      return AZURE_LEASE_ID.test(container) ? container : undefined;
    },
  };
}
