import { afterEach, beforeEach, jest } from '@jest/globals';

/**
 * Every line the Powertools logger writes during each test of the calling file (the returned array is
 * refilled per test), with logging on; tests elsewhere run with BROKER_LOG_LEVEL=silent.
 */
export function captureLogLines(): string[] {
  const lines: string[] = [];
  beforeEach(() => {
    delete process.env.BROKER_LOG_LEVEL;
    lines.length = 0;
    const capture = (chunk: unknown) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    };
    jest.spyOn(process.stdout, 'write').mockImplementation(capture as never);
    jest.spyOn(process.stderr, 'write').mockImplementation(capture as never);
    jest.spyOn(console, 'log').mockImplementation((s: unknown) => void capture(s));
    jest.spyOn(console, 'info').mockImplementation((s: unknown) => void capture(s));
    jest.spyOn(console, 'warn').mockImplementation((s: unknown) => void capture(s));
    jest.spyOn(console, 'error').mockImplementation((s: unknown) => void capture(s));
  });
  afterEach(() => {
    jest.restoreAllMocks();
    process.env.BROKER_LOG_LEVEL = 'silent';
  });
  return lines;
}
