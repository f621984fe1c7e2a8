import { describe, expect, it, test } from '@jest/globals';
import fc from 'fast-check';
import { newAlibabaLeaseId, scopedLeaseId } from '../../shared/ids.js';
import { leaseIdFromKey, objectKeyFor, sanitiseFileName, TEMP_PREFIX } from '../../shared/lease/keys.js';

const ALIBABA_ID = newAlibabaLeaseId(Date.UTC(2025, 0, 1));
const AZURE_ID = scopedLeaseId(['azure-ml', 'sub', 'rg', 'workspaces', 'ws', 'code', '1', 'id']);

/** S3's limit on key length, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;
/** What a sanitised name may contain: letters and digits of any script, and `._-`. */
const SAFE_NAME = /^[\p{L}\p{M}\p{N}._-]+$/u;

/** Every invariant a key must satisfy whatever name the client sent. */
function expectSafeKey(leaseId: string, key: string): void {
  expect(key.startsWith(`${TEMP_PREFIX}${leaseId}/`)).toBe(true);
  const segments = key.split('/');
  expect(segments).toHaveLength(3);
  expect(segments[0]).toBe('tmp');
  expect(segments[1]).toBe(leaseId);
  const name = segments[2]!;
  expect(name.length).toBeGreaterThan(0);
  expect(segments).not.toContain('..');
  expect(segments).not.toContain('.');
  expect(name).toMatch(SAFE_NAME);
  expect(name).not.toMatch(/^[._]/);
  expect(name).not.toMatch(/\.\./);
  expect(Buffer.byteLength(key)).toBeLessThanOrEqual(MAX_KEY_BYTES);
  expect(key).toBe(key.normalize('NFC'));
  expect(leaseIdFromKey(key)).toBe(leaseId);
}

describe('sanitiseFileName', () => {
  test.each([
    ['..', 'upload'],
    ['.', 'upload'],
    ['....', 'upload'],
    ['../../etc/passwd', 'etc_passwd'],
    ['..\\..\\windows\\system32\\cmd.exe', 'windows_system32_cmd.exe'],
    ['/leading.pdf', 'leading.pdf'],
    ['//double/leading.pdf', 'double_leading.pdf'],
    ['dir/sub/file.pdf', 'dir_sub_file.pdf'],
    ['a\\b\\c.pdf', 'a_b_c.pdf'],
    ['a\u0000b.pdf', 'a_b.pdf'],
    ['a\u0001\u001f\u007fb.pdf', 'a_b.pdf'],
    ['line\r\nbreak.txt', 'line_break.txt'],
    ['a b+c%d#e?f.pdf', 'a_b_c_d_e_f.pdf'],
    ['100%.pdf', '100_.pdf'],
    ['  spaced  .pdf', 'spaced_.pdf'],
    ['a..b.pdf', 'a.b.pdf'],
    ['report.pdf', 'report.pdf'],
    ['my-file_v2.PDF', 'my-file_v2.PDF'],
    ['.hidden.pdf', 'hidden.pdf'],
    ['_under.pdf', 'under.pdf'],
    ['__..x.txt', 'x.txt'],
    ['\u0301\u0301_.-x.txt', '-x.txt'],
    ['file.', 'file.'],
    ['\u202Efdp.exe', 'fdp.exe'],
  ])('%j -> %j', (input, expected) => {
    expect(sanitiseFileName(input)).toBe(expected);
  });

  test.each([
    ['precomposed Latin', 'résumé.pdf', 'résumé.pdf'],
    ['decomposed Latin is NFC-normalised', 're\u0301sume\u0301.pdf', 'résumé.pdf'],
    ['CJK', '报告.docx', '报告.docx'],
    ['Cyrillic', 'отчёт.txt', 'отчёт.txt'],
    ['Greek', 'έκθεση.md', 'έκθεση.md'],
    ['Arabic', 'تقرير.pdf', 'تقرير.pdf'],
    ['Japanese kana', 'レポート.pptx', 'レポート.pptx'],
  ])('keeps unicode letters: %s', (_label, input, expected) => {
    expect(sanitiseFileName(input)).toBe(expected);
  });

  // Scripts whose letters carry combining vowel signs (Unicode category M) that have no precomposed
  // form: the signs are part of the word, so "unicode is kept" must keep them too.
  test.each([
    ['Devanagari', 'हिन्दी.pdf'],
    ['Thai with vowel marks', 'สวัสดี.pdf'],
    ['Tamil', 'தமிழ்.pdf'],
  ])('keeps unicode words with combining marks: %s', (_label, input) => {
    expect(sanitiseFileName(input)).toBe(input);
  });

  test.each([['CON'], ['con.pdf'], ['NUL.txt'], ['PRN'], ['AUX.md'], ['COM1.pdf'], ['LPT9.doc']])(
    'Windows reserved name %j yields a safe key',
    (name) => {
      const key = objectKeyFor(ALIBABA_ID, name);
      expectSafeKey(ALIBABA_ID, key);
      // Reserved device names are harmless in S3; what matters is that the name is still recognisable.
      expect(key.split('/')[2]!.toUpperCase()).toContain(name.split('.')[0]!.toUpperCase());
    },
  );

  test.each([
    ['empty', ''],
    ['only spaces', '   '],
    ['only punctuation', '!@#$%^&*()'],
    ['only underscores', '___'],
    ['only dots and slashes', './././..//'],
    ['only control characters', '\u0000\u0001\u0002'],
    ['only an emoji', '\u{1F600}'],
  ])('empty result (%s) -> fallback name', (_label, input) => {
    expect(sanitiseFileName(input)).toBe('upload');
  });

  it("a name that is only an extension ('.pdf') loses its leading dot but is not empty", () => {
    const name = sanitiseFileName('.pdf');
    expect(name).toBe('pdf');
    expectSafeKey(ALIBABA_ID, objectKeyFor(ALIBABA_ID, '.pdf'));
  });

  test.each([
    ['ASCII', 'a'.repeat(5000) + '.pdf'],
    ['3-byte CJK', '报'.repeat(2000) + '.pdf'],
    ['4-byte emoji between letters', 'a\u{1F600}'.repeat(1000)],
    ['4-byte supplementary letters', '\u{20000}'.repeat(1000) + '.pdf'],
    ['the longest Azure name-version', `${'n'.repeat(255)}-${'v'.repeat(255)}`],
  ])('very long names (%s) are truncated so the key stays within S3 limits', (_label, input) => {
    const name = sanitiseFileName(input);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(200);
    expect(name.length).toBeGreaterThan(0);
    // Truncation never splits a code point: no lone surrogates, no replacement characters.
    expect(name).not.toMatch(/\p{Cs}/u);
    expect(Buffer.from(name, 'utf8').toString('utf8')).toBe(name);
    expectSafeKey(AZURE_ID, objectKeyFor(AZURE_ID, input));
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), (s) => {
        const once = sanitiseFileName(s);
        expect(sanitiseFileName(once)).toBe(once);
      }),
      { numRuns: 300 },
    );
  });
});

describe('sanitiseFileName: long names', () => {
  const bytes = (s: string) => Buffer.byteLength(s);

  test('a name that fits (exactly 200 bytes) is kept whole', () => {
    const name = 'a'.repeat(196) + '.pdf';
    expect(sanitiseFileName(name)).toBe(name);
  });

  test('a longer name is cut to 200 bytes and keeps its extension', () => {
    const out = sanitiseFileName('b'.repeat(300) + '.pdf');
    expect(out).toBe('b'.repeat(196) + '.pdf');
  });

  test('an extension of up to 15 characters after the dot is kept; a longer one is just part of the name', () => {
    const ext15 = '.' + 'e'.repeat(15);
    expect(sanitiseFileName('c'.repeat(300) + ext15)).toBe('c'.repeat(200 - 16) + ext15);
    const ext16 = '.' + 'e'.repeat(16);
    expect(sanitiseFileName('c'.repeat(300) + ext16)).toBe('c'.repeat(200));
  });

  test('a long name without a dot is simply cut', () => {
    expect(sanitiseFileName('e'.repeat(300))).toBe('e'.repeat(200));
  });

  test('only the last dot starts the extension', () => {
    expect(sanitiseFileName('d'.repeat(300) + '.tar.gz')).toBe('d'.repeat(197) + '.gz');
  });

  test('a cut never splits a character: no replacement character, never over 200 bytes', () => {
    for (const ch of ['ü', '报', '\u{20000}']) {
      for (let pad = 0; pad < 4; pad++) {
        const out = sanitiseFileName('x'.repeat(pad) + ch.repeat(120) + '.pdf');
        expect(out).not.toContain('\uFFFD');
        expect(bytes(out)).toBeLessThanOrEqual(200);
        expect(bytes(out)).toBeGreaterThan(200 - 4);
        expect(out.endsWith('.pdf')).toBe(true);
      }
    }
  });
});

describe('objectKeyFor', () => {
  const nasty = [
    '..',
    '../../etc/passwd',
    '/abs/path.pdf',
    'C:\\Users\\me\\doc.docx',
    'a\u0000b',
    'tmp/other-lease/file.pdf',
    `../${ALIBABA_ID}/x.pdf`,
    '%2e%2e%2fescape.pdf',
    'name with spaces + plus % percent # hash ? question.pdf',
    '报告 (最终版).docx',
    '.pdf',
    '',
    'CON',
    'x'.repeat(2000),
  ];

  test.each(nasty.map((n) => [n]))('%j -> a key under tmp/<leaseId>/ with exactly 3 segments', (name) => {
    expectSafeKey(ALIBABA_ID, objectKeyFor(ALIBABA_ID, name));
    expectSafeKey(AZURE_ID, objectKeyFor(AZURE_ID, name));
  });

  it('any client string yields a safe key (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 300 })), (name) => {
        expectSafeKey(ALIBABA_ID, objectKeyFor(ALIBABA_ID, name));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps an ordinary name as is', () => {
    expect(objectKeyFor(ALIBABA_ID, 'report.pdf')).toBe(`tmp/${ALIBABA_ID}/report.pdf`);
    expect(objectKeyFor(AZURE_ID, 'my-code-1')).toBe(`tmp/${AZURE_ID}/my-code-1`);
  });
});

describe('leaseIdFromKey', () => {
  test.each([
    ['Alibaba id', ALIBABA_ID],
    ['Azure id', AZURE_ID],
  ])('round-trips an %s through objectKeyFor', (_label, leaseId) => {
    for (const name of ['report.pdf', '../x', '', '报告.docx']) {
      expect(leaseIdFromKey(objectKeyFor(leaseId, name))).toBe(leaseId);
    }
  });

  it('round-trips generated ids (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9_999_999_999_999 }), fc.string({ maxLength: 50 }), (ts, name) => {
        const id = newAlibabaLeaseId(ts);
        expect(leaseIdFromKey(objectKeyFor(id, name))).toBe(id);
      }),
      { numRuns: 200 },
    );
  });

  const id32 = 'a'.repeat(32);
  test.each([
    ['outside the prefix', `uploads/${id32}/x.pdf`],
    ['prefix without trailing slash', `tmp${id32}/x.pdf`],
    ['prefix in another case', `TMP/${id32}/x.pdf`],
    ['nested under another folder', `x/tmp/${id32}/x.pdf`],
    ['leading slash', `/tmp/${id32}/x.pdf`],
    ['no object name segment', `tmp/${id32}`],
    ['empty id', 'tmp//x.pdf'],
    ['just the prefix', 'tmp/'],
    ['empty key', ''],
    ['upper-case hex', `tmp/${'A'.repeat(32)}/x.pdf`],
    ['31 hex digits', `tmp/${'a'.repeat(31)}/x.pdf`],
    ['33 hex digits', `tmp/${'a'.repeat(33)}/x.pdf`],
    ['non-hex', `tmp/${'g'.repeat(32)}/x.pdf`],
    ['timestamp too short', `tmp/${id32}.123/x.pdf`],
    ['timestamp too long', `tmp/${id32}.12345678901234/x.pdf`],
    ['dot without timestamp', `tmp/${id32}./x.pdf`],
    ['path traversal as id', 'tmp/../x.pdf'],
    ['id with suffix', `tmp/${id32}x/x.pdf`],
    ['a valid id and one more character, no slash', `tmp/${id32}x`],
  ])('rejects a key %s', (_label, key) => {
    expect(leaseIdFromKey(key)).toBeUndefined();
  });
});
