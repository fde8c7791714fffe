/** Parses `logging`: every container's log in VictoriaLogs. */
import type { LoggingSpec } from "../spec/logging";
import type { AddonParseContext } from "./addon";
import { addonSettings } from "./addon-settings";

export function parseLogging(raw: unknown, context: AddonParseContext): LoggingSpec | undefined {
  return addonSettings(raw, context, {
    known: ["namespace", "retention", "storage", "uiHost"],
    example: "give the logging settings, such as {retention: 7d}",
    store: true,
  }) as LoggingSpec | undefined;
}
