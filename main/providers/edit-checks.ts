/**
 * Checks every provider makes of a retake or extension before its own limits: a section inside the
 * take and at least 2 s long (the LTX API's minimum, kept for every provider so a retake means the
 * same everywhere), a positive extension, known modes. Seconds throughout.
 */
import type { EditSource, FieldIssue, RetakeMode, TakeEdit } from './provider';

/** The retake modes, default first (the LTX API's `mode` values). */
export const RETAKE_MODES: readonly RetakeMode[] = ['replace_audio_and_video', 'replace_video', 'replace_audio'];
/** Shortest section a retake redoes, seconds. */
export const MIN_RETAKE_S = 2;

/** The section a retake redoes once clamped to the take (as the LTX API clamps it), seconds. */
export function retakeSection(edit: Extract<TakeEdit, { kind: 'retake' }>, source: EditSource): { startS: number; endS: number } {
  return { startS: edit.startS, endS: Math.min(source.durationS, edit.startS + edit.durationS) };
}

/** The words of an edit for messages and events: "retake of 2-4 s", "extension by 3 s at the end". */
export function describeEdit(edit: TakeEdit): string {
  return edit.kind === 'retake' ? `retake of ${edit.startS}-${edit.startS + edit.durationS} s` : `extension by ${edit.seconds} s at the ${edit.at}`;
}

/** The note a provider's request carries: {@link describeEdit}, with a retake's mode ("retake of 2-4 s (replace video)"). */
export function editNote(edit: TakeEdit): string {
  return edit.kind === 'retake' ? `${describeEdit(edit)} (${edit.mode.replace(/_/g, ' ')})` : describeEdit(edit);
}

/** Length of the take an edit makes, seconds: the same as the source for a retake, longer for an extension. */
export function editedLength(edit: TakeEdit, source: EditSource): number {
  return edit.kind === 'retake' ? source.durationS : source.durationS + edit.seconds;
}

/** Problems with an edit that no provider could make, each naming the edit's field. */
export function checkEdit(edit: TakeEdit, source: EditSource): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const len = Math.round(source.durationS * 100) / 100;
  if (edit.kind === 'retake') {
    if (!RETAKE_MODES.includes(edit.mode)) issues.push({ column: 'mode', message: `a retake replaces ${RETAKE_MODES.join(', ')}; got "${edit.mode}"` });
    if (!(edit.startS >= 0)) issues.push({ column: 'start', message: `the section starts at 0 s or later; got ${edit.startS} s` });
    else if (edit.startS >= source.durationS) issues.push({ column: 'start', message: `the take is ${len} s long; a section cannot start at ${edit.startS} s` });
    if (!(edit.durationS >= MIN_RETAKE_S)) issues.push({ column: 'duration', message: `a retake redoes at least ${MIN_RETAKE_S} s; got ${edit.durationS} s` });
    else if (edit.startS >= 0 && edit.startS < source.durationS) {
      const { startS, endS } = retakeSection(edit, source);
      if (endS - startS < MIN_RETAKE_S - 1e-9) issues.push({ column: 'duration', message: `the take is ${len} s long, so ${startS}-${startS + edit.durationS} s is only ${Math.round((endS - startS) * 100) / 100} s of it; a retake redoes at least ${MIN_RETAKE_S} s` });
    }
  } else {
    if (edit.at !== 'end' && edit.at !== 'start') issues.push({ column: 'at', message: `an extension goes at the end or the start; got "${edit.at}"` });
    if (!(edit.seconds > 0)) issues.push({ column: 'seconds', message: `an extension adds more than 0 s; got ${edit.seconds} s` });
  }
  if (edit.prompt !== undefined && !edit.prompt.trim()) issues.push({ column: 'prompt', message: 'the prompt is empty: leave it out to use the take\'s own prompt' });
  return issues;
}
