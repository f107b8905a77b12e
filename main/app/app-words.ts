/**
 * Messages written for the command line, said in the app's own terms. The core's errors and
 * provider states name CLI commands ("run ltx-batch keys set ltx"); a creator in the app (or in
 * browser mode, with no terminal at hand) is pointed to the app's controls instead. Applied to
 * everything the renderer shows: errors, provider states, job errors and holds, storyboard issues.
 */

const WORDS: [RegExp, string][] = [
  // A missing key: Settings, not `ltx-batch keys set`.
  [/run "ltx-batch keys set ([a-z0-9-]+)" \(stored in the OS keychain\) or set [A-Z0-9_]+_API_KEY/g, 'add it in Settings (it is kept in the OS keychain)'],
  [/(?:run |with |with: )?"?ltx-batch keys set ([a-z0-9-]+)"?/g, 'Settings > Provider keys ($1)'],
  [/(?:run |with |with: |install it with: |reinstall with: )?"?ltx-batch runner install(?: --force)?"?/g, 'Settings > Local GPU runner > Install'],
  [/render again with --accept-changes \(in the app: "Re-render them"\)/g, 'press "Re-render them"'],
  [/run the same command with --resubmit-flagged to submit them again/g, 'then use Retry on each in the Queue to submit it again'],
  [/run the same command again/g, 'press Render again'],
  [/run ltx-batch new-take --out \S+ --shot (\S+)/g, 'use New take on shot $1 in the Queue'],
];

/** `text` with the command-line instructions it gives replaced by the app's controls. */
export function inAppWords(text: string): string;
export function inAppWords(text: string | null): string | null;
export function inAppWords(text: string | null): string | null {
  if (!text || !text.includes('ltx-batch') && !text.includes('--') && !text.includes('same command')) return text;
  let out = text;
  for (const [re, to] of WORDS) out = out.replace(re, to);
  return out;
}
