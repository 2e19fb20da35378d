#!/usr/bin/env node
// `prepack` (npm pack, npm publish): a package without its prebuilt binaries must not be made. Every platform
// in PLATFORMS needs a binary that is newer than the native sources, built for its architecture, within the
// glibc floor, and carrying this package's version; a missing or stale one is built first (npm run prebuild),
// and anything still wrong stops the pack with a message.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { floorViolations, readElfNeeds } from "./elf.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
/** The platforms the npm package ships a binary for (README: "Platforms"). */
export const PLATFORMS = ["linux-x64", "linux-arm64"];
const version = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).version;

function newestSource() {
  let newest = 0;
  const visit = (dir) => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const relative = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(relative);
      else newest = Math.max(newest, statSync(path.join(root, relative)).mtimeMs);
    }
  };
  visit("native");
  visit("cuda");
  for (const file of ["binding.gyp", "CMakeLists.txt"]) newest = Math.max(newest, statSync(path.join(root, file)).mtimeMs);
  return newest;
}

/** Problems with one platform's binary; empty when it is fine. */
export function checkPrebuild(platform, sourcesTime = newestSource()) {
  const file = path.join(root, "prebuilds", platform, "tdfast.node");
  if (!existsSync(file)) return [`${path.relative(root, file)} is missing`];
  const problems = [];
  if (statSync(file).mtimeMs < sourcesTime) problems.push(`${path.relative(root, file)} is older than the native sources`);
  const needs = readElfNeeds(file);
  const arch = platform.split("-")[1];
  if (needs.arch !== arch) problems.push(`${path.relative(root, file)} is built for ${needs.arch}, not ${arch}`);
  for (const problem of floorViolations(needs)) problems.push(`${path.relative(root, file)} needs ${problem}`);
  // The addon checks at load that it carries the package's version (TDF_PACKAGE_VERSION): look for it without
  // loading, since another architecture's binary cannot be loaded here.
  if (!readFileSync(file).includes(Buffer.from(`\0${version}\0`)))
    problems.push(`${path.relative(root, file)} does not carry version ${version}`);
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sourcesTime = newestSource();
  let problems = PLATFORMS.flatMap((platform) => checkPrebuild(platform, sourcesTime));
  if (problems.length > 0 && process.env.TDFAST_NO_PREBUILD !== "1") {
    console.error(`tdfast prepack: ${problems.join("; ")}: building them (npm run prebuild)`);
    execFileSync("npm", ["run", "prebuild"], { cwd: root, stdio: "inherit" });
    problems = PLATFORMS.flatMap((platform) => checkPrebuild(platform, sourcesTime));
  }
  if (problems.length > 0) {
    console.error(`tdfast prepack: refusing to pack a package without its binaries:\n  ${problems.join("\n  ")}`);
    process.exit(1);
  }
  console.error(`tdfast prepack: prebuilt binaries for ${PLATFORMS.join(", ")} are present, current and within the glibc floor`);
}
