// The Linux prebuilt binaries load on glibc 2.28 and newer and need no libstdc++ version at all (libstdc++ is
// linked in): their ELF version needs are read here, without binutils. native/compat/glibc_compat.cc explains
// how the build gets there.

import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import test from "ava";

import { compareVersions, floorViolations, GLIBC_FLOOR, readElfNeeds } from "../scripts/elf.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));

const linuxPrebuilds = existsSync(join(root, "prebuilds"))
  ? readdirSync(join(root, "prebuilds"))
      .filter((dir) => dir.startsWith("linux-"))
      .flatMap((dir) =>
        readdirSync(join(root, "prebuilds", dir))
          .filter((file) => file.endsWith(".node"))
          .map((file) => join("prebuilds", dir, file)),
      )
  : [];

test("the check itself: finds what is above the floor", (t) => {
  t.deepEqual(
    floorViolations({
      needed: ["libc.so.6", "libstdc++.so.6"],
      versions: [
        { file: "libc.so.6", name: "GLIBC_2.2.5" },
        { file: "libc.so.6", name: "GLIBC_2.28" },
        { file: "libc.so.6", name: "GLIBC_2.34" },
        { file: "libstdc++.so.6", name: "GLIBCXX_3.4.30" },
        { file: "libstdc++.so.6", name: "CXXABI_1.3.9" },
        { file: "libgcc_s.so.1", name: "GCC_3.0" },
      ],
    }),
    ["GLIBC_2.34 (from libc.so.6)", "GLIBCXX_3.4.30 (from libstdc++.so.6)", "CXXABI_1.3.9 (from libstdc++.so.6)", "NEEDED libstdc++.so.6"],
  );
  t.is(compareVersions("2.3.4", "2.28"), -25);
  t.true(compareVersions("2.29", "2.28") > 0);
});

test("the ELF reader reads a real library's version needs", (t) => {
  // This machine's own libstdc++ is built against its glibc: its needs include GLIBC versions and no GLIBCXX.
  const candidates = ["/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6"];
  const library = candidates.find((file) => existsSync(file));
  if (!library) return t.pass("no system libstdc++.so.6 at a known path");
  const needs = readElfNeeds(library);
  t.true(needs.needed.includes("libc.so.6"));
  t.true(
    needs.versions.some(({ file, name }) => file === "libc.so.6" && (name === "GLIBC_2.2.5" || name === "GLIBC_2.17")),
    "finds the base version",
  );
});

test("a Linux prebuilt binary exists for this machine", (t) => {
  if (process.platform !== "linux") return t.pass("not Linux");
  t.true(
    linuxPrebuilds.some((file) => file.startsWith(join("prebuilds", `linux-${process.arch}`))),
    `prebuilds/linux-${process.arch}/ has a .node file (npm run prebuild)`,
  );
});

for (const file of linuxPrebuilds) {
  test(`${file}: no GLIBC above ${GLIBC_FLOOR}, no GLIBCXX or CXXABI, no libstdc++.so`, (t) => {
    const needs = readElfNeeds(join(root, file));
    t.is(needs.arch, file.split("/")[1].split("-")[1], "the architecture matches its folder");
    t.deepEqual(floorViolations(needs), []);
    t.true(
      needs.versions.some(({ name }) => name.startsWith("GLIBC_")),
      "the binary's version needs were read",
    );
  });
}
