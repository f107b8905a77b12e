/**
 * Bytecompute's answers as zod schemas. The doc (shared/provider-docs/001_a37c907d49c89d52.txt, the
 * same text as https://bytecompute.ai/model/bytecompute/lightricks-ltx-2, read 2026-12-02) shows only
 * the error envelope and says that a job has a `status` ("poll ... until status is completed") and
 * an `adjustments` field (null when nothing was adjusted). Everything else here is assumed and
 * listed in the provider's sources(): the other status words, the `id` field, a failed job's
 * `error`, `cost.amount_usd`, and the shape of an adjustment. Unknown extra fields are allowed
 * everywhere: a service adds fields without notice.
 */
import { z } from 'zod';

/** `{type, message}`: the inner error of the envelope (and, assumed, a failed job's `error`). */
export const ErrorBody = z.looseObject({ type: z.string().optional(), message: z.string().optional() });

/** `{"type": "error", "error": {"type": "not_found", "message": "Job '...' not found"}}`: every error answer (the doc's). */
export const ErrorEnvelope = z.looseObject({ type: z.literal('error').optional(), error: ErrorBody });

/** The job's status words: "completed" is the doc's; queued, running and failed are assumed. */
export const JobStatusWord = z.enum(['queued', 'running', 'completed', 'failed']);

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

/**
 * One entry of `adjustments` when it is an object. The doc does not show its shape: the names read
 * here are the likeliest ones (field or parameter; requested, from or original; adjusted, applied,
 * to or value; reason). An entry of another shape is shown as JSON, not refused.
 */
export const Adjustment = z.looseObject({
  field: z.string().optional(),
  parameter: z.string().optional(),
  requested: Scalar.optional(),
  from: Scalar.optional(),
  original: Scalar.optional(),
  adjusted: Scalar.optional(),
  applied: Scalar.optional(),
  to: Scalar.optional(),
  value: Scalar.optional(),
  reason: z.string().optional(),
});

/** `adjustments`: null when nothing was adjusted (the doc); any JSON otherwise, shown as text. */
export const Adjustments = z.json().nullish();

/**
 * `POST /v1/jobs/{id}`: the job. Only `id` and `status` are needed to go on; `cost` (assumed) is
 * the charge of a completed job, `error` (assumed) why a failed job failed.
 */
export const Job = z.looseObject({
  id: z.string().min(1),
  status: JobStatusWord,
  adjustments: Adjustments,
  cost: z.looseObject({ amount_usd: z.number().nonnegative().optional() }).nullish(),
  error: z.union([ErrorBody, z.string()]).nullish(),
});
/** One parsed job. */
export type BytecomputeJob = z.infer<typeof Job>;

/**
 * `POST /v1/text-to-video` / `/v1/image-to-video`: "receive a job ID" (the doc). Assumed: the job
 * object itself, whose `status` may be missing (then the job is queued).
 */
export const JobCreated = Job.extend({ status: JobStatusWord.optional() });
