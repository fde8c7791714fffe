/** Compares text with a golden file under test/golden; UPDATE_GOLDEN=1 rewrites the file instead. */
import * as fs from "fs";
import * as path from "path";

export const GOLDEN_DIR = path.resolve(__dirname, "../../golden");

export function expectGolden(relativePath: string, actual: string): void {
  const file = path.join(GOLDEN_DIR, relativePath);
  if (process.env.UPDATE_GOLDEN === "1") {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, actual);
  }
  expect(actual).toBe(fs.readFileSync(file, "utf8"));
}
