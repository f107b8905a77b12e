/** Limits shared by the storyboard readers and the importer. */

/** Largest number of shots in one storyboard. */
export const MAX_SHOTS = 20_000;

/** Most columns read from a row (a storyboard has about 17 known columns plus notes). */
export const MAX_COLUMNS = 1_000;
