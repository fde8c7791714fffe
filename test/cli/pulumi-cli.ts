/** Runs the real pulumi CLI from the project root, with the environment scripts/env.sh set up. */
import { spawnSync } from "child_process";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "../..");

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `pulumi ARGS` with extra environment; never throws on a non-zero exit. */
export function pulumi(args: string[], env: Record<string, string> = {}): CliResult {
  if (!process.env.ONPREM_TOOLS_BIN) {
    throw new Error("the CLI tests need the project environment: run them through scripts/test.sh (or `source scripts/env.sh` first)");
  }
  const result = spawnSync("pulumi", [...args, "--non-interactive", "--color=never"], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 300_000,
    // A provider schema is several MB.
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
