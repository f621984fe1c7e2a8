/** What the clients saw: latency per operation, answers per status, and failures to connect. */
export interface OperationStats {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Answers per HTTP status (the last attempt of each call, and every retried one). */
  statuses: Record<string, number>;
  /** Connections refused or dropped (the broker down during its restart). */
  networkErrors: number;
}

export class Stats {
  private readonly latencies = new Map<string, number[]>();
  private readonly statuses = new Map<string, Record<string, number>>();
  private readonly network = new Map<string, number>();
  /** 5xx answers that are not what a fault injects (503: throttling), with what was asked. */
  readonly unexpected5xx: { op: string; status: number; body: string; at: number }[] = [];
  /** Network errors outside the restart window. */
  readonly unexpectedNetworkErrors: { op: string; error: string; at: number }[] = [];

  latency(op: string, ms: number): void {
    let list = this.latencies.get(op);
    if (!list) this.latencies.set(op, (list = []));
    list.push(ms);
  }

  status(op: string, status: number): void {
    let counts = this.statuses.get(op);
    if (!counts) this.statuses.set(op, (counts = {}));
    counts[status] = (counts[status] ?? 0) + 1;
  }

  networkError(op: string): void {
    this.network.set(op, (this.network.get(op) ?? 0) + 1);
  }

  count5xx(status: number): number {
    let n = 0;
    for (const counts of this.statuses.values()) n += counts[status] ?? 0;
    return n;
  }

  networkErrors(): number {
    let n = 0;
    for (const c of this.network.values()) n += c;
    return n;
  }

  summary(): Record<string, OperationStats> {
    const ops = new Set([...this.latencies.keys(), ...this.statuses.keys(), ...this.network.keys()]);
    const result: Record<string, OperationStats> = {};
    for (const op of [...ops].sort()) {
      const sorted = [...(this.latencies.get(op) ?? [])].sort((a, b) => a - b);
      result[op] = {
        count: sorted.length,
        p50Ms: percentile(sorted, 0.5),
        p99Ms: percentile(sorted, 0.99),
        maxMs: round(sorted.at(-1) ?? 0),
        statuses: this.statuses.get(op) ?? {},
        networkErrors: this.network.get(op) ?? 0,
      };
    }
    return result;
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10;

export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!);
}
