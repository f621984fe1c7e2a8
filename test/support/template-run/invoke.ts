/**
 * Invoking a function of the template: warm child processes (lambda-runtime.mjs), one invocation at a
 * time each, as many as are busy at once (Lambda's concurrency). The child's environment is exactly
 * the template's (resolved) plus what Lambda itself sets; the template's Timeout is enforced here: the
 * child is killed and the invocation fails with Lambda's "Task timed out" message.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { FunctionSpec } from './template.js';

const RUNTIME = fileURLToPath(new URL('./lambda-runtime.mjs', import.meta.url));

export class InvocationError extends Error {
  constructor(
    readonly functionId: string,
    readonly errorType: string,
    errorMessage: string,
  ) {
    super(`${functionId}: ${errorType}: ${errorMessage}`);
  }
}

export interface Invocation {
  readonly functionId: string;
  readonly ok: boolean;
  readonly errorType?: string;
  readonly errorMessage?: string;
  readonly ms: number;
}

/** Node runtimes the template may name, by the major version this process runs (the child runs the same node). */
export function checkRuntime(fn: FunctionSpec): void {
  const major = process.versions.node.split('.')[0];
  if (fn.runtime !== `nodejs${major}.x`) throw new Error(`${fn.logicalId}: runtime ${fn.runtime} is not this Node (${process.versions.node})`);
}

interface Instance {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  busy: boolean;
}

export class FunctionPool {
  private readonly idle: Instance[] = [];
  private readonly all = new Set<Instance>();
  /** Every invocation's outcome, in order of completion. */
  readonly invocations: Invocation[] = [];
  /** The children's stdout and stderr (Lambda's logs), bounded. */
  logs = '';
  /** After close(): an invocation still arriving (a retry, a late stream record) fails instead of starting a child. */
  private closed = false;

  constructor(
    readonly spec: FunctionSpec,
    /** Exactly what the child sees: resolved template variables plus Lambda's own. */
    readonly env: Readonly<Record<string, string>>,
  ) {
    checkRuntime(spec);
  }

  private spawn(): Instance {
    const child = fork(RUNTIME, [], {
      cwd: this.spec.bundleDir,
      env: { ...this.env },
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    const keep = (chunk: Buffer) => {
      this.logs = (this.logs + chunk.toString()).slice(-64_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const ready = new Promise<void>((resolve, reject) => {
      const onMessage = (m: any) => {
        if (m?.type === 'ready') resolve();
        else if (m?.type === 'init-error') reject(new InvocationError(this.spec.logicalId, m.errorType, m.errorMessage));
        else return;
        child.off('message', onMessage);
      };
      child.on('message', onMessage);
      child.once('exit', (code, signal) => reject(new InvocationError(this.spec.logicalId, 'Runtime.ExitError', `exited during init (${signal ?? code})\n${this.logs.slice(-2000)}`)));
      // A child that cannot be spawned (its bundle directory gone, say) fails the invocation, not the test process.
      child.on('error', (error) => {
        this.all.delete(instance);
        reject(new InvocationError(this.spec.logicalId, 'Runtime.SpawnError', error.message));
      });
    });
    ready.catch(() => undefined);
    const instance: Instance = { child, ready, busy: false };
    this.all.add(instance);
    child.once('exit', () => {
      this.all.delete(instance);
      const i = this.idle.indexOf(instance);
      if (i >= 0) this.idle.splice(i, 1);
    });
    return instance;
  }

  async invoke(event: unknown): Promise<unknown> {
    if (this.closed) throw new InvocationError(this.spec.logicalId, 'TemplateRun.Closed', 'invoked after the run was closed');
    const started = Date.now();
    const instance = this.idle.pop() ?? this.spawn();
    instance.busy = true;
    try {
      const result = await this.run(instance, event, started);
      this.invocations.push({ functionId: this.spec.logicalId, ok: true, ms: Date.now() - started });
      return result;
    } catch (error) {
      const e = error instanceof InvocationError ? error : new InvocationError(this.spec.logicalId, 'Error', String(error));
      this.invocations.push({ functionId: this.spec.logicalId, ok: false, errorType: e.errorType, errorMessage: e.message, ms: Date.now() - started });
      throw e;
    } finally {
      instance.busy = false;
      if (instance.child.exitCode === null && instance.child.signalCode === null && this.all.has(instance)) this.idle.push(instance);
    }
  }

  private async run(instance: Instance, event: unknown, started: number): Promise<unknown> {
    const { child } = instance;
    // Lambda's timeout covers the invocation; a cold start's init is bounded separately (10 s on AWS).
    await instance.ready;
    const begin = Math.max(started, Date.now());
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        child.kill('SIGKILL');
        reject(new InvocationError(this.spec.logicalId, 'Sandbox.Timedout', `Task timed out after ${this.spec.timeoutSeconds.toFixed(2)} seconds`));
      }, timeoutMs);
      const onMessage = (m: any) => {
        if (m?.type !== 'result' || m.id !== id) return;
        cleanup();
        if (m.ok) resolve(m.result);
        else reject(new InvocationError(this.spec.logicalId, m.errorType, m.errorMessage));
      };
      const onExit = (code: number | null, signal: string | null) => {
        cleanup();
        reject(new InvocationError(this.spec.logicalId, 'Runtime.ExitError', `exited (${signal ?? code}) during the invocation\n${this.logs.slice(-2000)}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ id, event, deadline: begin + timeoutMs, requestId: id });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      [...this.all].map(
        (i) =>
          new Promise<void>((resolve) => {
            if (i.child.exitCode !== null || i.child.signalCode !== null) return resolve();
            i.child.once('exit', () => resolve());
            i.child.kill('SIGKILL');
          }),
      ),
    );
  }
}
