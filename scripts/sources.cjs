// Prints parts of native/sources.json for binding.gyp's command expansions (<!@(...)), one item per line:
//   node scripts/sources.cjs sources        the addon's portable sources
//   node scripts/sources.cjs isa NAME       the kernel files of one instruction set
//   node scripts/sources.cjs gcc NAME       their GCC/Clang flags
//   node scripts/sources.cjs msvc NAME      their MSVC flag
//   node scripts/sources.cjs linux sources  sources added to Linux builds (glibc compatibility)
//   node scripts/sources.cjs linux ldflags  Linux link flags: static libstdc++ and one --wrap per old-glibc symbol
//   node scripts/sources.cjs arch ARCH      the files compiled only for that target architecture (e.g. arm64)
//   node scripts/sources.cjs define ARCH    the preprocessor symbol that tells cpu_features.cc they are there
const path = require("node:path");

const list = require(path.join(__dirname, "..", "native", "sources.json"));
const [what, name] = process.argv.slice(2);
const isa = name === undefined ? undefined : list.isa[name];
const arch = name === undefined ? undefined : list.arch[name];
// The Linux link flags bind glibc's symbols to old versions (native/compat/glibc_compat.cc): on another C
// library (musl) the wrappers compile to nothing, so the flags are left out and the link is the plain one.
const glibc = Boolean(
  /** @type {{ header?: { glibcVersionRuntime?: string } }} */ (process.report?.getReport())?.header?.glibcVersionRuntime,
);
const linux = {
  sources: list.linux.sources,
  ldflags: glibc ? [...list.linux.ldflags, ...list.linux.wrap.map((symbol) => `-Wl,--wrap=${symbol}`)] : [],
};
const items =
  what === "linux"
    ? linux[name]
    : what === "sources"
      ? list.sources
      : what === "isa"
        ? isa?.sources
        : what === "gcc"
          ? isa?.gcc
          : what === "msvc" && isa
            ? [isa.msvc]
            : what === "arch"
              ? arch?.sources
              : what === "define" && arch
                ? [arch.define]
                : undefined;
if (!items) {
  console.error(
    `usage: node scripts/sources.cjs sources | isa NAME | gcc NAME | msvc NAME | arch ARCH | define ARCH | linux sources|ldflags (NAME one of ${Object.keys(list.isa).join(", ")}; ARCH one of ${Object.keys(list.arch).join(", ")})`,
  );
  process.exit(2);
}
console.log(items.join("\n"));
