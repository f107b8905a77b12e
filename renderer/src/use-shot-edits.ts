/**
 * The one way the renderer edits the open storyboard's cells: each call goes to the core (saved to
 * the file there), the storyboard it sends back replaces the one shown, and the step is recorded
 * for undo (./edit-history.ts). Errors are thrown for the caller to show.
 */
import { useCallback } from 'react';
import type { CellEditResult, CellEditView } from '../../main/contract/api';
import { useEditHistory } from './edit-history';
import { useApp } from './state';

/** Edits, undo and redo, with the label of the step each would take back or do again (null: none). */
export function useShotEdits() {
  const { api, setStoryboard, storyboard } = useApp('api', 'setStoryboard', 'storyboard');
  const file = storyboard?.file ?? null;
  const undoLabel = useEditHistory((s) => (s.file === file ? (s.past.at(-1)?.label ?? null) : null));
  const redoLabel = useEditHistory((s) => (s.file === file ? (s.future.at(-1)?.label ?? null) : null));

  /** Shows the storyboard of an edit the core made (named `label`) and records it for undo. */
  const record = useCallback(
    <R extends CellEditResult>(r: R, label: string): R => {
      setStoryboard(r.storyboard);
      useEditHistory.getState().push(r.storyboard.file, { label, undo: r.undo, redo: r.redo });
      return r;
    },
    [setStoryboard],
  );

  /** Writes cells (one save) and records the step. */
  const edit = useCallback(async (edits: CellEditView[], label: string) => record(await api.call('shots.editMany', { edits }), label), [api, record]);

  /** Takes the newest step back (`back`) or does the newest undone one again; resolves its label (null when there was none). */
  const travel = useCallback(
    async (back: boolean) => {
      const h = useEditHistory.getState();
      const step = back ? h.past.at(-1) : h.future.at(-1);
      if (!step) return null;
      const r = await api.call('shots.editMany', { edits: back ? step.undo : step.redo });
      setStoryboard(r.storyboard);
      if (back) useEditHistory.getState().undone(step.redo);
      else useEditHistory.getState().redone(step.undo);
      return step.label;
    },
    [api, setStoryboard],
  );
  const undo = useCallback(() => travel(true), [travel]);
  const redo = useCallback(() => travel(false), [travel]);

  return { edit, record, undo, redo, undoLabel, redoLabel };
}
