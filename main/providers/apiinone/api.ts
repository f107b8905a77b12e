/**
 * API in One's answers as zod schemas. Unknown extra fields are allowed everywhere.
 *
 * Published (https://apiin.one/model/ltx-2, read 2026-12-02): the submit answer
 *   {"code":200,"message":"success","data":{"task_id":"n50xxxx_ltx2","status":"IN_PROGRESS"}}
 * Assumed (neither seed doc 000 nor the public page shows them; listed in sources()):
 *   - the task answer of GET /tasks/{task_id} has the same {code, message, data:{task_id, status}} envelope;
 *   - status words besides IN_PROGRESS: PENDING / QUEUED, COMPLETED / SUCCESS, FAILED (any case);
 *   - the video URL is in data.video_url, data.output (a URL or a list), data.response (a list, as on
 *     ltx-2api.com, whose submit answer is the same) or data.result.url / result.video_url;
 *   - credits in data.credits_used or data.consumed_credits; a failure in data.error ({code, message}
 *     or text) or data.error_message;
 *   - error answers are {code: <HTTP status>, message, data: null}.
 */
import { z } from 'zod';

/** Task states the status words map to. */
export type ApiinoneState = 'pending' | 'running' | 'succeeded' | 'failed';

/** Status words by state: IN_PROGRESS is published, the others are assumed. Compared upper-case, "-" and spaces as "_". */
export const APIINONE_STATUS_WORDS: Readonly<Record<string, ApiinoneState>> = {
  PENDING: 'pending',
  QUEUED: 'pending',
  IN_PROGRESS: 'running',
  PROCESSING: 'running',
  RUNNING: 'running',
  COMPLETED: 'succeeded',
  SUCCESS: 'succeeded',
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  ERROR: 'failed',
  CANCELLED: 'failed',
  CANCELED: 'failed',
};

/** A status word, read as one of {@link APIINONE_STATUS_WORDS} (an unknown word fails the answer, naming `data.status`). */
export const StatusWord = z
  .string()
  .transform((s) => s.trim().toUpperCase().replace(/[\s-]+/g, '_'))
  .pipe(z.enum(Object.keys(APIINONE_STATUS_WORDS) as [string, ...string[]]));

/** The envelope every answer comes in; a `code` of 400-599 inside an HTTP 200 is an error (assumed). */
export const Envelope = z.looseObject({ code: z.number().optional(), message: z.string().nullish() });

/** `POST /videos/generations`: exactly the public page's answer. */
export const Submitted = z.looseObject({
  code: z.number(),
  message: z.string(),
  data: z.looseObject({ task_id: z.string().min(1), status: StatusWord }),
});

const Url = z.url({ protocol: /^https?$/ });
const Credits = z.number().nonnegative().nullish();
/** A failure or error: `{code, message}` or a text. */
const Failure = z.union([z.string(), z.looseObject({ code: z.union([z.string(), z.number()]).nullish(), message: z.string().nullish() })]).nullish();

/** The video URL of a task, from the assumed fields in order; undefined when none. */
export function videoUrlOf(t: ApiinoneTask): string | undefined {
  const output = Array.isArray(t.output) ? t.output[0] : t.output;
  return t.video_url ?? output ?? t.response?.[0] ?? t.result?.video_url ?? t.result?.url ?? undefined;
}

/** The task object of `GET /tasks/{task_id}` (assumed: see the file's comment). */
const TaskFields = z.looseObject({
  task_id: z.string().optional(),
  status: StatusWord,
  progress: z.number().nullish(),
  video_url: Url.nullish(),
  output: z.union([Url, z.array(Url)]).nullish(),
  response: z.array(Url).nullish(),
  result: z.looseObject({ url: Url.nullish(), video_url: Url.nullish() }).nullish(),
  credits_used: Credits,
  consumed_credits: Credits,
  error: Failure,
  error_message: z.string().nullish(),
});
/** One parsed task. */
export type ApiinoneTask = z.infer<typeof TaskFields>;

/** `GET /tasks/{task_id}`: the envelope with the task under `data`; a finished task must carry a video URL. */
export const TaskAnswer = z.looseObject({
  code: z.number().optional(),
  message: z.string().nullish(),
  data: TaskFields.superRefine((t, ctx) => {
    if (APIINONE_STATUS_WORDS[t.status] === 'succeeded' && !videoUrlOf(t)) {
      ctx.addIssue({ code: 'custom', path: ['video_url'], message: `status ${t.status} without a video URL (looked in video_url, output, response, result.url)` });
    }
  }),
});

/** Error answers: `{code, message, data}` (assumed), or `{error: {code, message}}` / `{error: "..."}`. */
export const ErrorAnswer = z.looseObject({
  code: z.union([z.number(), z.string()]).optional(),
  message: z.string().nullish(),
  error: Failure,
});
