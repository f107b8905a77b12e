/**
 * The storyboard columns a creator can edit in the app: every column of main/storyboard/columns.ts
 * KNOWN_COLUMNS. Kept apart from api.ts (which needs zod) so the renderer can use the list without
 * bundling zod (whose start-up probe for eval is a Content-Security-Policy violation there).
 */
export const EDITABLE_COLUMNS = ['shot', 'prompt', 'mode', 'image', 'end_image', 'audio', 'video', 'duration', 'resolution', 'aspect_ratio', 'fps', 'seed', 'takes', 'continue_from', 'provider', 'model', 'negative_prompt', 'loras', 'notes', 'budget'] as const;

/** One of {@link EDITABLE_COLUMNS}. */
export type EditableColumn = (typeof EDITABLE_COLUMNS)[number];
