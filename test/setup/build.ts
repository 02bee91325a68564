import { execFileSync } from "node:child_process";
import { projectRoot } from "../support/paths";

export default function setup(): void {
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: projectRoot, stdio: "inherit" });
}
