/** The tool version, recorded in manifests and archive objects. Kept in step with package.json by a test. */
export const version = "0.1.0";
