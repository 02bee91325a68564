// One table of settings: every TRACE_* variable is read in src/core/settings.ts and nowhere else
// in the code, and README's table lists exactly those, with the same meanings.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSettings, SETTING_VARIABLES } from "../../../src/core/settings";
import { projectRoot } from "../../support/paths";

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith(".ts") ? [path] : [];
  });
}

describe("TRACE_* settings", () => {
  it("are read only in src/core/settings.ts", () => {
    const readers = [...sources(join(projectRoot, "src")), ...sources(join(projectRoot, "lambda"))].filter(
      (path) => !path.endsWith(join("core", "settings.ts")) && /env(\.|\[["'])TRACE_/.test(readFileSync(path, "utf8")),
    );
    expect(readers).toEqual([]);
  });

  it("docs/configuration.md's table lists each with its meaning", () => {
    const readme = readFileSync(join(projectRoot, "docs", "configuration.md"), "utf8");
    const table = readme.slice(readme.indexOf("<!-- trace-settings:begin -->"), readme.indexOf("<!-- trace-settings:end -->"));
    const rows = [...table.matchAll(/^\|\s*`(TRACE_[A-Z_]+)`\s*\|\s*(.+?)\s*\|$/gm)].map((m) => [
      m[1],
      (m[2] as string).replaceAll("\\|", "|"),
    ]);
    expect(Object.fromEntries(rows)).toEqual(SETTING_VARIABLES);
  });

  it("an empty value counts as unset", () => {
    expect(readSettings({ TRACE_ENV: "", TRACE_CONFIG: "x.yaml" })).toMatchObject({ env: undefined, config: "x.yaml" });
  });
});
