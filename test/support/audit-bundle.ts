// The audit_producer exactly as `trace deploy` bundles it, written to a file for the bundle test
// and the benchmark.
import { writeFileSync } from "node:fs";
import { bundleFunction } from "../../src/core/deploy/bundle";
import { projectRoot } from "./paths";

export async function bundleAuditProducer(outfile: string): Promise<void> {
  const { code, map } = await bundleFunction(projectRoot, "auditProducer");
  writeFileSync(outfile, code);
  writeFileSync(`${outfile}.map`, map);
}
