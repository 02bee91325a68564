import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../support/paths";

/** README.md and every page under docs/. */
const pages = [join(projectRoot, "README.md"), ...readdirSync(join(projectRoot, "docs")).map((f) => join(projectRoot, "docs", f))].filter(
  (path) => path.endsWith(".md"),
);

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, "")
    .replace(/[^\p{L}\p{N} -]/gu, "")
    .replace(/ /g, "-");

const anchors = (text: string) => new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1] as string)));

/** Relative links `[text](target)` outside code blocks; web links are not followed here. */
function links(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, "");
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] as string).filter((t) => !/^[a-z]+:/.test(t));
}

describe("README and docs/", () => {
  it("README links every page of docs/", () => {
    const readme = readFileSync(join(projectRoot, "README.md"), "utf8");
    const linked = new Set(links(readme).map((t) => t.split("#")[0]));
    const docs = pages.filter((p) => p.includes(`${join(projectRoot, "docs")}`)).map((p) => relative(projectRoot, p));
    expect(docs.length).toBeGreaterThan(0);
    expect(docs.filter((d) => !linked.has(d))).toEqual([]);
  });

  it("every relative link resolves, anchors included", () => {
    const broken: string[] = [];
    for (const page of pages) {
      const text = readFileSync(page, "utf8");
      for (const target of links(text)) {
        const [path, anchor] = target.split("#") as [string, string | undefined];
        const file = path === "" ? page : join(dirname(page), path);
        if (!existsSync(file)) {
          broken.push(`${relative(projectRoot, page)} → ${target} (no such file)`);
          continue;
        }
        if (anchor && (statSync(file).isDirectory() || !anchors(readFileSync(file, "utf8")).has(anchor)))
          broken.push(`${relative(projectRoot, page)} → ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("README stays a front door: a few hundred lines at most", () => {
    const lines = readFileSync(join(projectRoot, "README.md"), "utf8").split("\n").length;
    expect(lines).toBeLessThanOrEqual(300);
  });
});
