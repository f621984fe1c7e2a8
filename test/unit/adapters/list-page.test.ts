import { describe, expect, test } from '@jest/globals';
import { parseListPage, unescapeXml } from '../../../shared/adapters/list-page.js';
import { DependencyError } from '../../../shared/errors.js';

/** The API Lambdas' reading of a ListObjectsV2 answer (adapters/list-page.ts), without an XML parser. */
const doc = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${body}</ListBucketResult>`;

function refusal(xml: string): string {
  try {
    parseListPage(xml);
  } catch (error) {
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({ dependency: 's3', throttled: false });
    return ((error as Error).cause as Error).message;
  }
  throw new Error('parsed');
}

describe('unescapeXml', () => {
  test('the five entities, decimal and hexadecimal references of any length; anything else kept', () => {
    expect(unescapeXml('&amp;&lt;&gt;&quot;&apos;')).toBe('&<>"\'');
    expect(unescapeXml('&#65;&#123;&#x41;&#x1F600;&#9;')).toBe('A{A\u{1F600}\t');
    expect(unescapeXml('&nbsp; &amp &#; a&b')).toBe('&nbsp; &amp &#; a&b');
  });
});

describe('parseListPage', () => {
  test('entries spread over lines; absent ETag and date are empty and 0, not invented', () => {
    const page = parseListPage(doc('<Contents>\n  <Key>a</Key>\n  <Size>1</Size>\n</Contents><IsTruncated>false</IsTruncated>'));
    expect(page).toEqual({ objects: [{ key: 'a', size: 1, eTag: '', lastModified: 0 }] });
  });

  test('a truncated page carries its continuation token', () => {
    expect(parseListPage(doc('<IsTruncated>true</IsTruncated><NextContinuationToken>t+/=</NextContinuationToken>'))).toEqual({ objects: [], nextToken: 't+/=' });
  });

  test.each([
    ['<Error><Code>AccessDenied</Code></Error>', 'unreadable ListObjectsV2 answer: no ListBucketResult'],
    [doc('<Contents><Size>1</Size></Contents>'), 'unreadable ListObjectsV2 answer: an entry without Key or Size'],
    [doc('<Contents><Key>k</Key></Contents>'), 'unreadable ListObjectsV2 answer: an entry without Key or Size'],
    [doc('<Contents><Key>k</Key><Size>-1</Size></Contents>'), 'unreadable ListObjectsV2 answer: an entry without Key or Size'],
    [doc('<Contents><Key>k</Key><Size>1.5</Size></Contents>'), 'unreadable ListObjectsV2 answer: an entry without Key or Size'],
    [doc('<IsTruncated>true</IsTruncated>'), 'unreadable ListObjectsV2 answer: truncated without a continuation token'],
  ])('refused, never guessed: %s', (xml, why) => {
    expect(refusal(xml)).toBe(why);
  });
});
