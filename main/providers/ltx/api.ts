/**
 * The public LTX API's answers as zod schemas (https://docs.ltx.video: Async Jobs, Get Job
 * Status, Input Formats / upload, Errors; read 2026-12-02). Unknown extra fields are allowed
 * everywhere: a service adds fields without notice.
 */
import { z } from 'zod';

/** `POST /v2/{endpoint}` -> 202 Accepted. */
export const JobCreated = z.looseObject({ id: z.string().min(1), created_at: z.string().optional() });

/** `{type: "error", error: {type, message}}`: the error envelope of every endpoint (and a failed job's `error`). */
export const ErrorBody = z.looseObject({ type: z.string().optional(), message: z.string().optional() });

/** The error envelope. */
export const ErrorEnvelope = z.looseObject({ type: z.literal('error').optional(), error: ErrorBody });

/** `GET /v2/{endpoint}/{id}`: pending / processing / completed (with `result`) / failed (with `error`). */
export const Job = z.discriminatedUnion('status', [
  z.looseObject({ id: z.string().optional(), status: z.literal('pending') }),
  z.looseObject({ id: z.string().optional(), status: z.literal('processing'), progress: z.number().optional() }),
  z.looseObject({ id: z.string().optional(), status: z.literal('completed'), created_at: z.string().optional(), completed_at: z.string().optional(), result: z.looseObject({ video_url: z.string().url() }) }),
  z.looseObject({ id: z.string().optional(), status: z.literal('failed'), error: ErrorBody.optional() }),
]);
/** One parsed job status. */
export type JobStatus = z.infer<typeof Job>;

/** `POST /v1/upload` -> where to PUT a local file and the `storage_uri` to send instead of it. */
export const Upload = z.looseObject({
  upload_url: z.string().url(),
  storage_uri: z.string().min(1),
  expires_at: z.string().optional(),
  required_headers: z.record(z.string(), z.string()).optional(),
});
