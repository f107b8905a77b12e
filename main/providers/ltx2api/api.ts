/**
 * ltx-2api.com's answers as zod schemas, from shared/provider-docs/002_b07a798ff8644b97.txt
 * (= https://ltx-2api.com/docs; read 2026-11-21) and the errors page
 * https://ltx-2api.com/ltx-2-api-errors (read 2026-12-02). Unknown extra fields are allowed everywhere.
 */
import { z } from 'zod';

/** The errors page: `{"error": {"code": "ERROR_CODE", "message", "details"}, "request_id": "req_..."}`. */
export const ErrorEnvelope = z.looseObject({
  error: z.looseObject({ code: z.string().nullish(), message: z.string().nullish(), details: z.unknown().optional() }),
  request_id: z.string().nullish(),
});

/**
 * The envelope of the docs page's answers, `{code, message, data}`: read for `code` (an error code
 * inside an HTTP 200 is that error, assumed) and, on an error answer in this form, its message.
 */
export const Envelope = z.looseObject({
  code: z.number().optional(),
  message: z.string().nullish(),
  data: z.looseObject({ error_message: z.string().nullish() }).nullish(),
});

const Credits = z.number().nonnegative().nullish();

/** `POST /api/generate`: `{code: 200, message: "success", data: {task_id, status: "IN_PROGRESS", consumed_credits}}`. */
export const Submitted = z.looseObject({
  code: z.number().optional(),
  message: z.string().nullish(),
  data: z.looseObject({
    task_id: z.string().min(1),
    status: z.enum(['PENDING', 'IN_PROGRESS', 'SUCCESS', 'FAILED']).optional(),
    consumed_credits: Credits,
  }),
});

/** `GET /api/status?task_id=`: `data.status` PENDING / IN_PROGRESS / SUCCESS (with `response`: [url]) / FAILED (with `error_message`). */
export const TaskStatus = z.looseObject({
  code: z.number().optional(),
  message: z.string().nullish(),
  data: z.discriminatedUnion('status', [
    z.looseObject({ status: z.literal('PENDING') }),
    z.looseObject({ status: z.literal('IN_PROGRESS') }),
    z.looseObject({ status: z.literal('SUCCESS'), consumed_credits: Credits, response: z.array(z.url({ protocol: /^https?$/ })).min(1) }),
    z.looseObject({ status: z.literal('FAILED'), error_message: z.string().nullish() }),
  ]),
});
