import * as pulumi from "@pulumi/pulumi";

/** Collects every configuration problem so that all of them are reported at once. */
export class Problems {
  private readonly lines: string[] = [];

  /** Records a problem with a config key: what is wrong, then how to fix it. */
  add(key: string, problem: string, fix: string): void {
    this.lines.push(`${key}: ${problem}; ${fix}`);
  }

  /** Records a line that already names its key and fix, such as a component's own validation. */
  addLine(line: string): void {
    this.lines.push(line);
  }

  get all(): readonly string[] {
    return this.lines;
  }
}

/** Thrown when the stack config is invalid; its message lists every problem, one per line. */
// A RunError makes the CLI print the message alone, without a stack trace.
export class ConfigError extends pulumi.RunError {
  constructor(readonly problems: readonly string[]) {
    super(`invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Kubernetes DNS-1123 label: lower-case alphanumerics and '-', 1-63 characters. */
export function isDns1123Label(name: string): boolean {
  return name.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isPort(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535;
}
