import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { findPackageRoot } from "../../src/core/package-root";

export const projectRoot = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
