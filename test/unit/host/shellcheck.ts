/** Runs shellcheck on rendered scripts; returns one report per script that has findings. */
import { spawnSync } from "child_process";

export function shellcheckFailures(scripts: Record<string, string>): string[] {
  return Object.entries(scripts).flatMap(([name, text]) => {
    const result = spawnSync("shellcheck", ["--shell=bash", "--severity=style", "-"], { input: text, encoding: "utf8" });
    if (result.error) throw new Error(`shellcheck is needed for this test (apt-get install shellcheck): ${result.error.message}`);
    return result.status === 0 ? [] : [`${name}:\n${result.stdout}`];
  });
}
