// The package mirror this project is built behind serves only the current platform's native
// packages (esbuild, biome, rollup), so `npm install` leaves the other platforms' optional
// entries out of package-lock.json and `npm ci` then refuses the lock as out of sync.
// This adds a version-only entry for each missing optional platform package; npm ci skips
// them by their os/cpu, exactly as it does with a lock written on an unrestricted registry.
// Run after changing dependencies: node scripts/complete-lockfile.mjs
import { readFileSync, writeFileSync } from "node:fs";

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const packages = lock.packages;
const platformOf = (name) => {
  const os = ["darwin", "linux", "win32", "freebsd", "openbsd", "netbsd", "sunos", "aix", "android", "openharmony"].find((o) =>
    name.includes(o),
  );
  const cpu = ["arm64", "x64", "ia32", "arm", "ppc64", "s390x", "riscv64", "loong64", "mips64el", "wasm32"].find((c) =>
    new RegExp(`[-/]${c}(\\b|-|$)`).test(name),
  );
  return { os, cpu };
};
let added = 0;
for (const [where, info] of Object.entries(packages)) {
  for (const [dep, version] of Object.entries(info.optionalDependencies ?? {})) {
    const base = where ? `${where}/node_modules/${dep}` : `node_modules/${dep}`;
    if (packages[base] || packages[`node_modules/${dep}`]) continue;
    const { os, cpu } = platformOf(dep.split("/").pop());
    const key = where && packages[`node_modules/${dep}`] ? base : `node_modules/${dep}`;
    packages[key] = {
      version: version.replace(/^[~^=]/, ""),
      ...(cpu ? { cpu: [cpu] } : {}),
      ...(os ? { os: [os] } : {}),
      ...(info.dev ? { dev: true } : {}),
      optional: true,
    };
    added++;
  }
}
const sorted = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))));
lock.packages = sorted;
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: ${added} optional platform entr${added === 1 ? "y" : "ies"} added`);
