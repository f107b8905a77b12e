/**
 * APIXO's answers as zod schemas: shared/provider-docs/004_778e99b7f865feb7.txt, the same text as
 * https://apixo.ai/docs/models/video/ltx-2-19b, and the error envelope of
 * https://apixo.ai/docs/api-reference/error-codes (read 2026-12-02). Every answer is
 * `{code, message, data}` (https://apixo.ai/docs/api-reference/response-format: `code` is the
 * HTTP status code). Unknown extra fields are allowed everywhere: a service adds fields without
 * notice.
 */
import { z } from 'zod';

/**
 * An error answer: `{"code": 400, "message": "Invalid request", "data": {"error": "Missing required
 * field: input.prompt"}}` (the error-codes page's only example, a 400; the same envelope is assumed
 * for the other statuses, and a bare `{code, message}` is read too).
 */
export const ErrorAnswer = z.looseObject({
  code: z.number().optional(),
  message: z.string().optional(),
  data: z.looseObject({ error: z.string().optional() }).nullish(),
});

/** The envelope's `code` alone: an answer with HTTP 200 whose `code` says otherwise is read as that code (assumed). */
export const Envelope = z.looseObject({ code: z.number().optional() });

/** `POST /generateTask/ltx-2-19b` -> `{code: 200, message: "success", data: {taskId}}`. */
export const TaskCreated = z.looseObject({ code: z.number().optional(), message: z.string().optional(), data: z.looseObject({ taskId: z.string().min(1) }) });

/** `resultJson`: a JSON *string* holding `{resultUrls: [...]}` ("Parse resultJson after state becomes success"). */
export const ResultJson = z
  .string()
  .transform((text, ctx): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not a JSON string' });
      return z.NEVER;
    }
  })
  .pipe(z.looseObject({ resultUrls: z.array(z.url({ protocol: /^https?$/ })).min(1) }));

/** `data` of `GET /statusTask/ltx-2-19b?taskId=`: pending / processing / success (resultJson) / failed (failCode, failMsg). */
export const TaskState = z.discriminatedUnion('state', [
  z.looseObject({ taskId: z.string().optional(), state: z.literal('pending') }),
  z.looseObject({ taskId: z.string().optional(), state: z.literal('processing') }),
  z.looseObject({ taskId: z.string().optional(), state: z.literal('success'), resultJson: ResultJson, costTime: z.number().optional() }),
  z.looseObject({ taskId: z.string().optional(), state: z.literal('failed'), failCode: z.string().optional(), failMsg: z.string().optional() }),
]);

/** `GET /statusTask/ltx-2-19b?taskId=` -> `{code, message, data: {taskId, state, ...}}`. */
export const TaskStatus = z.looseObject({ code: z.number().optional(), message: z.string().optional(), data: TaskState });
