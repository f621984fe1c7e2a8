import cliProgress from 'cli-progress';

/**
 * Upload progress on stderr (stdout carries the result): a live bar with bytes, rate and ETA on a
 * terminal; elsewhere (CI logs, pipes) a plain line every couple of seconds and one at the end.
 */
export interface Progress {
  update(bytes: number): void;
  stop(): void;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

export function uploadProgress(total: number, stream: NodeJS.WriteStream = process.stderr, intervalMs = 2000): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: 'uploading [{bar}] {percentage}% {done} of {size}, {speed}/s, ETA {eta_formatted}',
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    const start = Date.now();
    bar.start(total, 0, { done: mb(0), size: mb(total), speed: mb(0) });
    return {
      update: (bytes) => bar.update(bytes, { done: mb(bytes), speed: mb(bytes / Math.max(0.001, (Date.now() - start) / 1000)) }),
      stop: () => bar.stop(),
    };
  }
  // Not a terminal: cli-progress would print nothing (or redraw codes); plain lines read well in a log.
  const start = Date.now();
  let last = 0;
  let current = 0;
  let printed = -1;
  const line = () => {
    if (printed === current) return;
    printed = current;
    const seconds = Math.max(0.001, (Date.now() - start) / 1000);
    const rate = current / seconds;
    const eta = rate > 0 ? Math.ceil((total - current) / rate) : 0;
    const percent = total === 0 ? 100 : Math.floor((current / total) * 100);
    stream.write(`uploaded ${mb(current)} of ${mb(total)} (${percent}%), ${mb(rate)}/s, ETA ${eta} s\n`);
  };
  return {
    update(bytes) {
      current = bytes;
      if (Date.now() - last >= intervalMs) {
        last = Date.now();
        line();
      }
    },
    stop: line,
  };
}
