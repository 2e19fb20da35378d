// Used by test/glibc.test.mjs and scripts/verify-prebuilds.mjs (not shipped).
// Reads what a 64-bit little-endian ELF shared object (x86-64 or AArch64 .node file) needs from other
// libraries: its DT_NEEDED names and its symbol version needs (.gnu.version_r), without binutils.
import { readFileSync } from "node:fs";

const SHT_DYNAMIC = 6;
const SHT_GNU_VERNEED = 0x6ffffffe;
const DT_NEEDED = 1;
const MACHINES = { 62: "x64", 183: "arm64" };

function cString(bytes, offset) {
  const end = bytes.indexOf(0, offset);
  if (end < 0) throw new Error(`unterminated string at ${offset}`);
  return bytes.toString("latin1", offset, end);
}

/** @returns {{ arch: string, needed: string[], versions: { file: string, name: string }[] }} */
export function readElfNeeds(file) {
  const bytes = readFileSync(file);
  if (bytes.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${file} is not an ELF file`);
  if (bytes[4] !== 2 || bytes[5] !== 1) throw new Error(`${file} is not a 64-bit little-endian ELF file`);
  const machine = bytes.readUInt16LE(18);
  const shoff = Number(bytes.readBigUInt64LE(40));
  const shentsize = bytes.readUInt16LE(58);
  const shnum = bytes.readUInt16LE(60);
  const sections = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    sections.push({
      type: bytes.readUInt32LE(at + 4),
      offset: Number(bytes.readBigUInt64LE(at + 24)),
      size: Number(bytes.readBigUInt64LE(at + 32)),
      link: bytes.readUInt32LE(at + 40),
      info: bytes.readUInt32LE(at + 44),
    });
  }
  const needed = [];
  const versions = [];
  for (const section of sections) {
    const strings = sections[section.link];
    if (section.type === SHT_DYNAMIC) {
      for (let at = section.offset; at < section.offset + section.size; at += 16) {
        const tag = Number(bytes.readBigInt64LE(at));
        if (tag === 0) break;
        if (tag === DT_NEEDED) needed.push(cString(bytes, strings.offset + Number(bytes.readBigUInt64LE(at + 8))));
      }
    } else if (section.type === SHT_GNU_VERNEED) {
      // Elf64_Verneed { vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32 } followed by
      // Elf64_Vernaux { vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32 }
      let entry = section.offset;
      for (let n = 0; n < section.info; n++) {
        const count = bytes.readUInt16LE(entry + 2);
        const fileName = cString(bytes, strings.offset + bytes.readUInt32LE(entry + 4));
        let aux = entry + bytes.readUInt32LE(entry + 8);
        for (let k = 0; k < count; k++) {
          versions.push({ file: fileName, name: cString(bytes, strings.offset + bytes.readUInt32LE(aux + 8)) });
          aux += bytes.readUInt32LE(aux + 12);
        }
        const next = bytes.readUInt32LE(entry + 12);
        if (next === 0) break;
        entry += next;
      }
    }
  }
  return { arch: MACHINES[machine] ?? `machine ${machine}`, needed, versions };
}

/** Compares dotted versions ("2.28" < "2.3.4" is false): negative, zero or positive. */
export function compareVersions(a, b) {
  const x = a.split(".").map(Number);
  const y = b.split(".").map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The oldest glibc the Linux prebuilt binaries load on. */
export const GLIBC_FLOOR = "2.28";

/** What keeps a binary with these needs from loading on glibc GLIBC_FLOOR without a newer libstdc++. */
export function floorViolations({ needed, versions }) {
  const problems = [];
  for (const { file, name } of versions) {
    const glibc = /^GLIBC_(\d+(?:\.\d+)*)$/.exec(name);
    if (glibc && compareVersions(glibc[1], GLIBC_FLOOR) > 0) problems.push(`${name} (from ${file})`);
    if (/^(GLIBCXX|CXXABI)_/.test(name)) problems.push(`${name} (from ${file})`);
  }
  for (const library of needed) if (/^libstdc\+\+/.test(library)) problems.push(`NEEDED ${library}`);
  return problems;
}
