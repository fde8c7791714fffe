/** What the `logging` addon is made of: plain data, no Pulumi types, no secret values. */
import type { MonitoringStorage } from "./monitoring";

/** The images the logging addon runs, built into the bundle from their pinned Go modules (docs/images.md). */
export const LOGGING_IMAGES = {
  victoriaLogs: "docker.io/victoriametrics/victoria-logs:v1.52.2",
  vlagent: "docker.io/victoriametrics/vlagent:v1.52.2",
} as const;

/** The `logging` config key: every container's log in a log store (components/logging.ts). */
export interface LoggingSpec {
  /** Namespace of the logging objects. @default "logging" */
  readonly namespace?: string;
  /** How long VictoriaLogs keeps log lines: a number with a unit h, d, w or y. @default "7d" */
  readonly retention?: string;
  /** VictoriaLogs' data on a claim of this StorageClass. @default none: an emptyDir, lost with the pod */
  readonly storage?: MonitoringStorage;
  /** Host name the log UI answers on, on Traefik's internal entry point. @default "logs.local" */
  readonly uiHost?: string;
}
