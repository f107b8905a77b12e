/**
 * Bench setup, run in a child process so its memory is not the core's: writes the XLSX twin of a
 * storyboard CSV (`node --import tsx bench/make-xlsx.ts STORYBOARD.csv`); prints the path.
 */
import { writeStoryboardXlsx } from './import-speed';

console.log(await writeStoryboardXlsx(process.argv[2]));
