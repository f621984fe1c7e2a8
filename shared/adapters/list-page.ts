import { DependencyError } from '../errors.js';
import type { ListedObject } from '../lease/ports.js';

/**
 * One page of a ListObjectsV2 answer, read by hand: the API Lambdas send the listing as a presigned
 * GET (presigned-objects.ts) and carry no XML parser. S3's document is fixed and flat, its text
 * escaped with the five XML entities (and numeric references for control characters), so a few
 * patterns read it exactly; anything else (no ListBucketResult, a Contents without Key or Size) is a
 * dependency failure, never a guess.
 */
export interface ListPage {
  readonly objects: ListedObject[];
  /** Present when the listing goes on. */
  readonly nextToken?: string;
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
    return ENTITIES[name] ?? whole;
  });
}

const element = (xml: string, name: string): string | undefined => {
  const match = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  return match ? unescapeXml(match[1]!) : undefined;
};

const malformed = (why: string) => new DependencyError('s3', false, { cause: new Error(`unreadable ListObjectsV2 answer: ${why}`) });

export function parseListPage(xml: string): ListPage {
  if (!xml.includes('<ListBucketResult')) throw malformed('no ListBucketResult');
  const objects: ListedObject[] = [];
  for (const [, entry] of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
    const key = element(entry!, 'Key');
    const size = Number(element(entry!, 'Size'));
    if (key === undefined || !Number.isSafeInteger(size) || size < 0) throw malformed('an entry without Key or Size');
    const lastModified = Date.parse(element(entry!, 'LastModified') ?? '');
    objects.push({ key, size, eTag: element(entry!, 'ETag') ?? '', lastModified: Number.isFinite(lastModified) ? lastModified : 0 });
  }
  const truncated = element(xml, 'IsTruncated') === 'true';
  const nextToken = element(xml, 'NextContinuationToken');
  if (truncated && !nextToken) throw malformed('truncated without a continuation token');
  return { objects, ...(truncated ? { nextToken: nextToken! } : {}) };
}
