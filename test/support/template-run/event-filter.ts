/**
 * Event filtering as Lambda event source mappings and EventBridge Pipes apply it (the EventBridge
 * pattern syntax): the operators the template uses, and a throw for any other, so a new filter is
 * never silently treated as "match everything".
 */
export class UnsupportedPatternError extends Error {}

function matchValue(rule: unknown, value: unknown): boolean {
  if (rule === null || typeof rule !== 'object') {
    return Array.isArray(value) ? value.includes(rule) : value === rule;
  }
  const r = rule as Record<string, unknown>;
  if ('exists' in r) return r.exists ? value !== undefined : value === undefined;
  if ('prefix' in r) return typeof value === 'string' && value.startsWith(String(r.prefix));
  if ('suffix' in r) return typeof value === 'string' && value.endsWith(String(r.suffix));
  if ('anything-but' in r) {
    const but = Array.isArray(r['anything-but']) ? r['anything-but'] : [r['anything-but']];
    return value !== undefined && !but.includes(value);
  }
  throw new UnsupportedPatternError(`filter operator ${JSON.stringify(rule)} is not emulated`);
}

export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (pattern === null || typeof pattern !== 'object' || Array.isArray(pattern)) throw new UnsupportedPatternError(`pattern ${JSON.stringify(pattern)}`);
  const node = (event ?? {}) as Record<string, unknown>;
  return Object.entries(pattern as Record<string, unknown>).every(([key, rule]) => {
    const value = typeof node === 'object' ? node[key] : undefined;
    if (Array.isArray(rule)) return rule.some((r) => matchValue(r, value));
    return matchesPattern(rule, value);
  });
}

/** No filters: everything passes; otherwise any one pattern matching lets the record through. */
export const passesFilters = (patterns: readonly unknown[], event: unknown): boolean => patterns.length === 0 || patterns.some((p) => matchesPattern(p, event));
