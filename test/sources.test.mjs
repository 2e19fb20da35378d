// native/sources.json is the one list of the addon's sources (binding.gyp and CMakeLists.txt both read it): every
// C++ and CUDA source in the tree is in it, everything in it exists, and no N-API code sits outside
// native/binding/.

import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import test from "ava";

const root = fileURLToPath(new URL("..", import.meta.url));
const list = JSON.parse(readFileSync(join(root, "native", "sources.json"), "utf8"));

/** Files under `folder` (relative to the root) whose names match `pattern`, recursively. */
function filesUnder(folder, pattern) {
  return readdirSync(join(root, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && pattern.test(entry.name))
    .map((entry) =>
      relative(root, join(entry.parentPath ?? entry.path, entry.name))
        .split("\\")
        .join("/"),
    )
    .sort();
}

test("every native .cc file is listed once, and every listed file exists", (t) => {
  const listed = [
    ...list.sources,
    ...Object.values(list.isa).flatMap((isa) => isa.sources),
    ...Object.values(list.arch).flatMap((arch) => arch.sources),
    ...list.linux.sources,
  ];
  t.deepEqual([...listed].sort(), filesUnder("native", /\.cc$/));
  t.is(new Set(listed).size, listed.length, "no file is listed twice");
});

test("every CUDA source is listed, and every listed one exists", (t) => {
  t.deepEqual([...list.cuda].sort(), filesUnder("cuda", /\.cu$/));
});

test("binding.gyp and CMakeLists.txt take their sources from native/sources.json", (t) => {
  const gyp = readFileSync(join(root, "binding.gyp"), "utf8");
  const cmake = readFileSync(join(root, "CMakeLists.txt"), "utf8");
  t.false(/native\/[\w/]+\.cc/.test(gyp), "binding.gyp names no source itself");
  t.false(/(native|cuda)\/[\w/]+\.(cc|cu)\b/.test(cmake), "CMakeLists.txt names no source itself");
  t.regex(gyp, /scripts\/sources\.cjs sources/);
  t.regex(cmake, /native\/sources\.json/);
});

test("only native/binding/ includes napi.h", (t) => {
  const offenders = [...filesUnder("native", /\.(cc|h)$/), ...filesUnder("cuda", /\.(cu|cuh|h)$/)].filter(
    (file) => !file.startsWith("native/binding/") && /#include <napi\.h>|node_api\.h/.test(readFileSync(join(root, file), "utf8")),
  );
  t.deepEqual(offenders, []);
});

test("the Linux link flags (glibc symbol versions) are given on glibc only; elsewhere the link is the plain one", (t) => {
  const sources = join(root, "scripts", "sources.cjs");
  const onGlibc = execFileSync(process.execPath, [sources, "linux", "ldflags"], { encoding: "utf8" }).trim().split("\n");
  t.true(onGlibc.includes("-static-libstdc++"));
  t.true(onGlibc.includes("-Wl,--wrap=pthread_create"));
  // As on musl: the process report has no glibc version.
  const musl =
    "const r = process.report.getReport.bind(process.report); process.report.getReport = () => { const x = r(); delete x.header.glibcVersionRuntime; return x; };";
  const onMusl = execFileSync(
    process.execPath,
    ["-e", `${musl} process.argv.splice(1, 0, 's'); require(${JSON.stringify(sources)})`, "linux", "ldflags"],
    {
      encoding: "utf8",
    },
  );
  t.is(onMusl.trim(), "");
});
