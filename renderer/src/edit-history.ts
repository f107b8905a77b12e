/**
 * Undo and redo of the creator's edits to the open storyboard. Every edit in the app (a cell, a
 * paste, a fill down, a find and replace, a conform, the inspector's save, a dropped file) comes
 * back from the core with the edits that undo it (CellEditResult.undo); one step holds both ways.
 * Undoing writes the old cells through shots.editMany (saved to the file like any edit), and the
 * edits that come back from that are the step's redo. The history belongs to one storyboard file
 * and is cleared when another opens.
 */
import { create } from 'zustand';
import type { CellEditView } from '../../main/contract/api';

/** One undoable edit: what it was called, and the cell edits that take it back (`undo`) or do it again (`redo`). */
export interface EditStep {
  label: string;
  undo: CellEditView[];
  redo: CellEditView[];
}

interface EditHistory {
  /** The storyboard file the steps belong to. */
  file: string | null;
  past: EditStep[];
  future: EditStep[];
  /** Records an edit that was just saved (clears the redo steps, as editors do). */
  push: (file: string, step: EditStep) => void;
  /** Moves the newest step to the redo side with its new redo edits (after it was undone). */
  undone: (redo: CellEditView[]) => void;
  /** Moves the newest redo step back with its new undo edits (after it was redone). */
  redone: (undo: CellEditView[]) => void;
  /** Forgets every step (another storyboard opened). */
  reset: (file: string | null) => void;
}

/** The most steps kept (older ones are dropped). */
export const MAX_STEPS = 200;

/** The edit history store (one per renderer). */
export const useEditHistory = create<EditHistory>((set) => ({
  file: null,
  past: [],
  future: [],
  push: (file, step) => set((s) => (step.undo.length === 0 ? s : { file, past: [...(s.file === file ? s.past : []), step].slice(-MAX_STEPS), future: [] })),
  undone: (redo) =>
    set((s) => {
      const step = s.past[s.past.length - 1];
      return step ? { past: s.past.slice(0, -1), future: [...s.future, { ...step, redo }] } : s;
    }),
  redone: (undo) =>
    set((s) => {
      const step = s.future[s.future.length - 1];
      return step ? { future: s.future.slice(0, -1), past: [...s.past, { ...step, undo }] } : s;
    }),
  reset: (file) => set({ file, past: [], future: [] }),
}));
