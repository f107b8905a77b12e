/** Small formatting helpers shared by the screens. */

// One formatter each: toLocaleString with options builds a new one per call (slow in a grid).
const MONEY = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const COUNT = new Intl.NumberFormat('en-US');

/** "$1,234.50". */
export function usd(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-';
  return `$${MONEY.format(n)}`;
}

/** "4.0 s", "1:05.2". */
export function seconds(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '-';
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m}:${(s - m * 60).toFixed(1).padStart(4, '0')}`;
}

/** "1 shot", "8 shots". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${COUNT.format(n)} ${n === 1 ? one : many}`;
}

/** The last path segment of a file path (either slash). */
export function baseName(p: string): string {
  return p.split(/[\\/]/).filter(Boolean).pop() ?? p;
}

/** A project name from a storyboard file name: "my-film.csv" -> "my-film". */
export function projectNameFor(file: string): string {
  const b = baseName(file).replace(/\.(csv|tsv|txt|xlsx)$/i, '');
  return b.replace(/[^A-Za-z0-9._ -]+/g, '_').trim() || 'project';
}
