/**
 * The render farm's engine seen from the desktop: Temporal, through its TypeScript SDK
 * (@temporalio/client). One workflow `RenderTake` per take (defined by the workers,
 * resources/runner/ltx_runner/farm_workflow.py), started with the id-reuse policy that refuses a
 * duplicate: an id is used once for as long as the namespace keeps the workflow's history (its
 * retention period; the dev server keeps 24 hours by default).
 *
 * Everything the farm provider and `ltx-batch farm status` need from Temporal goes through the
 * small {@link FarmGateway} interface.
 */
import type { Client } from '@temporalio/client';

/** The Temporal SDK, loaded when the farm is first used (gRPC and protobuf weigh on every CLI start otherwise). */
const sdk = () => import('@temporalio/client');

/** The Temporal workflow type the workers register. */
export const WORKFLOW_TYPE = 'RenderTake';

/** Where the farm is: a Temporal frontend address (HOST:PORT), namespace and task queue. */
export interface FarmAddress {
  address: string;
  namespace: string;
  taskQueue: string;
}

/** A take's workflow as read from Temporal. Times are epoch ms. */
export type FarmTaskState =
  | { status: 'waiting'; attempt?: number; worker?: string }
  | { status: 'running'; step: number; steps: number; worker: string; attempt: number }
  | { status: 'completed'; result: FarmTakeResult; startedMs: number; closedMs: number }
  | { status: 'failed' | 'canceled' | 'terminated' | 'timed-out'; message: string }
  | { status: 'not-found' };

/** What a worker's `render_take` activity returns (resources/runner/ltx_runner/farm.py). Seconds and Unix seconds. */
export interface FarmTakeResult {
  worker: string;
  gpu_seconds: number | null;
  seconds_per_step: number | null;
  steps: number;
  frames: number;
  fps: number;
  seed: number;
  memory_policy: string | null;
  pipeline_loads: number;
  started_at: number;
  finished_at: number;
}

/** A worker polling the task queue, from Temporal's task-queue description. */
export interface FarmPoller {
  /** The worker's identity: "HOST gpu=NAME vram=GB model=M policy=P pid=PID". */
  identity: string;
  /** When it last polled, epoch ms. */
  lastSeenMs: number;
}

/** One take being rendered now: its workflow id and the worker on it. */
export interface FarmActiveTake {
  workflowId: string;
  worker: string | null;
  step: number;
  steps: number;
}

/** The calls the farm provider makes; {@link TemporalGateway} is the real one. */
export interface FarmGateway {
  /** Starts a take's workflow; `started: false` when a workflow with this id already exists (it was not started again). */
  start(workflowId: string, input: Record<string, unknown>): Promise<{ started: boolean }>;
  /** The workflow's state (its result once completed). */
  describe(workflowId: string): Promise<FarmTaskState>;
  /** Asks the workflow to cancel (the worker stops at its next step). A finished or unknown workflow is left alone. */
  cancel(workflowId: string): Promise<void>;
  /** Workers polling the task queue for activities (the ones that render). */
  pollers(): Promise<FarmPoller[]>;
  /** Takes being rendered now. */
  active(): Promise<FarmActiveTake[]>;
  close(): Promise<void>;
}

type ProtoPayloads = { payloads?: unknown[] | null } | null | undefined;

function firstPayload<T>(p: ProtoPayloads, conv: (typeof import('@temporalio/client'))['defaultPayloadConverter']): T | undefined {
  const first = p?.payloads?.[0];
  return first ? (conv.fromPayload(first as Parameters<typeof conv.fromPayload>[0]) as T) : undefined;
}

function ms(t: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!t) return 0;
  return Number(t.seconds ?? 0) * 1000 + Math.round((t.nanos ?? 0) / 1e6);
}

/** The real gateway: one gRPC connection, opened on first use. Errors are the SDK's (the provider maps them). */
export class TemporalGateway implements FarmGateway {
  private client: Promise<Client> | null = null;

  constructor(readonly where: FarmAddress) {}

  private async get(): Promise<Client> {
    this.client ??= sdk().then(async ({ Client, Connection }) => new Client({ connection: await Connection.connect({ address: this.where.address, connectTimeout: 5_000 }), namespace: this.where.namespace }));
    try {
      return await this.client;
    } catch (e) {
      this.client = null;
      throw e;
    }
  }

  async start(workflowId: string, input: Record<string, unknown>): Promise<{ started: boolean }> {
    const c = await this.get();
    const { WorkflowExecutionAlreadyStartedError } = await sdk();
    try {
      await c.workflow.start(WORKFLOW_TYPE, { taskQueue: this.where.taskQueue, workflowId, args: [input], workflowIdReusePolicy: 'REJECT_DUPLICATE' });
      return { started: true };
    } catch (e) {
      if (e instanceof WorkflowExecutionAlreadyStartedError) return { started: false };
      throw e;
    }
  }

  async describe(workflowId: string): Promise<FarmTaskState> {
    const c = await this.get();
    const { WorkflowNotFoundError, defaultPayloadConverter } = await sdk();
    const h = c.workflow.getHandle(workflowId);
    let d: Awaited<ReturnType<typeof h.describe>>;
    try {
      d = await h.describe();
    } catch (e) {
      if (e instanceof WorkflowNotFoundError) return { status: 'not-found' };
      throw e;
    }
    switch (d.status.name) {
      case 'RUNNING':
      case 'CONTINUED_AS_NEW': {
        const a = d.raw.pendingActivities?.[0];
        const beat = firstPayload<{ step?: number; steps?: number; worker?: string }>(a?.heartbeatDetails as ProtoPayloads, defaultPayloadConverter);
        // Started by a worker (heartbeating, or picked up): running; else waiting for a free worker.
        if (a && (beat || Number(a.state) === 2 /* PENDING_ACTIVITY_STATE_STARTED */))
          return { status: 'running', step: beat?.step ?? 0, steps: beat?.steps ?? 0, worker: beat?.worker ?? a.lastWorkerIdentity ?? '', attempt: a.attempt ?? 1 };
        return { status: 'waiting', attempt: a?.attempt ?? undefined, worker: a?.lastWorkerIdentity || undefined };
      }
      case 'COMPLETED': {
        const result = (await h.result()) as FarmTakeResult;
        return { status: 'completed', result, startedMs: d.startTime.getTime(), closedMs: d.closeTime?.getTime() ?? Date.now() };
      }
      case 'CANCELLED':
        return { status: 'canceled', message: 'canceled on the farm' };
      case 'TERMINATED':
        return { status: 'terminated', message: 'terminated on the farm (temporal workflow terminate)' };
      case 'TIMED_OUT':
        return { status: 'timed-out', message: 'timed out on the farm' };
      default: {
        let message = 'the render failed on the farm';
        try {
          await h.result();
        } catch (e) {
          // WorkflowFailedError -> ActivityFailure -> ApplicationFailure: the worker's own words are deepest.
          let x: unknown = e;
          while (x && typeof x === 'object' && 'cause' in x && (x as { cause?: unknown }).cause) x = (x as { cause: unknown }).cause;
          message = (x as Error)?.message || message;
        }
        return { status: 'failed', message };
      }
    }
  }

  async cancel(workflowId: string): Promise<void> {
    const c = await this.get();
    const { WorkflowNotFoundError } = await sdk();
    try {
      await c.workflow.getHandle(workflowId).cancel();
    } catch (e) {
      if (e instanceof WorkflowNotFoundError) return;
      // Already closed: nothing to cancel.
      if (/already completed|not found|closed/i.test((e as Error).message)) return;
      throw e;
    }
  }

  async pollers(): Promise<FarmPoller[]> {
    const c = await this.get();
    const res = await c.workflowService.describeTaskQueue({ namespace: this.where.namespace, taskQueue: { name: this.where.taskQueue, kind: 1 }, taskQueueType: 2 /* ACTIVITY */ });
    return (res.pollers ?? []).map((p) => ({ identity: p.identity ?? '', lastSeenMs: ms(p.lastAccessTime as { seconds?: unknown; nanos?: number }) }));
  }

  async active(): Promise<FarmActiveTake[]> {
    const c = await this.get();
    const out: FarmActiveTake[] = [];
    for await (const w of c.workflow.list({ query: `WorkflowType = '${WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' AND TaskQueue = '${this.where.taskQueue.replace(/'/g, '')}'` })) {
      const s = await this.describe(w.workflowId);
      out.push(s.status === 'running' ? { workflowId: w.workflowId, worker: s.worker, step: s.step, steps: s.steps } : { workflowId: w.workflowId, worker: null, step: 0, steps: 0 });
      if (out.length >= 500) break;
    }
    return out;
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (c) await (await c.catch(() => null))?.connection.close();
  }
}
