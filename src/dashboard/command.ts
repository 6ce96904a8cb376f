/**
 * CLI entry point of the dashboard: `maxent-rlhf dashboard RUN_DIR [--host H] [--port P] [--token T]
 * [--allow-remote]` (wired by the CLI module).
 */
import { type DashboardHandle, startDashboard } from './server.ts';

/**
 * Starts the dashboard over `runDir` (loopback and a free port unless given), prints its URL and
 * returns the handle; the caller keeps the process alive and may `close()` it.
 */
export async function runDashboardCommand(
  runDir: string,
  options: { host?: string; port?: number; token?: string; allowRemote?: boolean } = {},
  log: (line: string) => void = console.log,
): Promise<DashboardHandle> {
  const dashboard = await startDashboard({ runDir, ...options });
  log(`Dashboard: ${dashboard.url} (serving ${runDir}; Ctrl-C to stop)`);
  if (options.allowRemote && !options.token)
    log(
      `warning: ${dashboard.host} is not a loopback address and no --token is set: anyone who reaches port ${dashboard.port} reads every run`,
    );
  return dashboard;
}
