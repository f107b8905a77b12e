/**
 * The app's data folder, next to (not inside) project folders: settings.sqlite (budgets, the spend
 * ledger, settings) and the local runner's virtual environment. LTX_BATCH_HOME overrides it;
 * otherwise the platform's user-data folder (Linux ~/.local/share/ltx-batch, macOS
 * ~/Library/Application Support/ltx-batch, Windows %LOCALAPPDATA%\ltx-batch\Data).
 */
import envPaths from 'env-paths';

/** The app's data folder. */
export function appHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.LTX_BATCH_HOME || envPaths('ltx-batch', { suffix: '' }).data;
}
