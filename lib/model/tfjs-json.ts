// TF.js Layers models (model.json: modelTopology + weightsManifest). Each manifest group's shard files are
// concatenated in order and its weights laid end to end in them (tfjs-core io/weights_loader.ts). Weight names
// differ between producers (tfjs's own "output/kernel", the converter's Keras names, Keras 3 raw HDF5 paths), so a
// layer's weights are found by its name as one path segment or its Keras 3 path, then checked by shape; failing
// that, by topology order and shape. Shards are read only inside the model's folder, and only the byte ranges of
// the weights asked for, after checking that the files hold them.

import { open, realpath, stat } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";

import { type Candidate, findCandidates } from "./config.js";
import { dequantize, toFloat32 } from "./dtypes.js";
import { fileError, formatError, sizeError } from "./fail.js";
import { MAX_ELEMENTS } from "./hdf5.js";
import { checkShapes, type Located } from "./located.js";

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

interface Entry {
  readonly name: string;
  readonly shape: number[];
  readonly dtype: string;
  readonly quantization: { dtype: "uint8" | "uint16" | "float16"; scale: number; min: number } | undefined;
  readonly group: number;
  readonly offset: number;
  readonly bytes: number;
  readonly count: number;
}

const STORED_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

function readManifest(json: Json, label: string): { entries: Entry[]; groups: string[][] } {
  const manifest = json.weightsManifest;
  if (!Array.isArray(manifest)) throw formatError(`${label}: no weightsManifest array`);
  const entries: Entry[] = [];
  const groups: string[][] = [];
  manifest.forEach((group, g) => {
    if (
      !isObject(group) ||
      !Array.isArray(group.paths) ||
      !Array.isArray(group.weights) ||
      !group.paths.every((p) => typeof p === "string")
    )
      throw formatError(`${label}: weightsManifest[${g}] needs paths (strings) and weights`);
    groups.push(group.paths as string[]);
    let offset = 0;
    for (const weight of group.weights as unknown[]) {
      if (!isObject(weight) || typeof weight.name !== "string" || !Array.isArray(weight.shape) || typeof weight.dtype !== "string")
        throw formatError(`${label}: weightsManifest[${g}] has a weight without name, shape and dtype`);
      const shape = weight.shape as unknown[];
      if (!shape.every((n) => typeof n === "number" && Number.isSafeInteger(n) && n >= 0))
        throw formatError(`${label}: weight ${JSON.stringify(weight.name)} has an invalid shape`);
      const count = (shape as number[]).reduce((a, b) => a * b, 1);
      if (count > MAX_ELEMENTS)
        throw sizeError(
          `${label}: weight ${JSON.stringify(weight.name)} declares shape [${shape.join(", ")}], over ${MAX_ELEMENTS} elements`,
        );
      let quantization: Entry["quantization"];
      if (weight.quantization !== undefined) {
        const q = weight.quantization;
        if (!isObject(q) || (q.dtype !== "uint8" && q.dtype !== "uint16" && q.dtype !== "float16"))
          throw formatError(`${label}: weight ${JSON.stringify(weight.name)}: unsupported quantization ${JSON.stringify(q)}`);
        const scale = typeof q.scale === "number" ? q.scale : 1;
        const min = typeof q.min === "number" ? q.min : 0;
        if (q.dtype !== "float16" && (!Number.isFinite(scale) || !Number.isFinite(min)))
          throw formatError(`${label}: weight ${JSON.stringify(weight.name)}: quantization needs finite scale and min`);
        quantization = { dtype: q.dtype, scale, min };
      }
      const stored = quantization?.dtype ?? weight.dtype;
      const itemSize = STORED_BYTES[stored];
      if (itemSize === undefined)
        throw formatError(
          `${label}: weight ${JSON.stringify(weight.name)} has dtype ${JSON.stringify(stored)}, which tdfast cannot lay out`,
        );
      const bytes = count * itemSize;
      entries.push({ name: weight.name, shape: shape as number[], dtype: weight.dtype, quantization, group: g, offset, bytes, count });
      offset += bytes;
    }
  });
  return { entries, groups };
}

const segments = (name: string): string[] => name.split("/").map((part) => part.replace(/:\d+$/, ""));

function findWeights(
  candidate: Candidate,
  entries: readonly Entry[],
  taken: Set<Entry>,
  label: string,
): { kernel: Entry; bias: Entry | undefined } | undefined {
  const fits = (kernel: Entry | undefined, bias: Entry | undefined) =>
    kernel !== undefined &&
    kernel.shape.length === 2 &&
    kernel.shape[1] === candidate.units &&
    (!candidate.useBias || (bias !== undefined && bias.shape.length === 1 && bias.shape[0] === candidate.units));
  // By name: Keras 3 raw paths, or the layer's name as a path segment with kernel / bias last. Weights found by
  // name must have the config's shapes.
  const byPath = (suffix: string) => entries.find((e) => e.name === `${candidate.kerasPath}/vars/${suffix}`);
  const named = entries.filter((e) => segments(e.name).slice(0, -1).includes(candidate.name));
  for (const [kernel, bias] of [
    [byPath("0"), byPath("1")],
    [named.find((e) => segments(e.name).at(-1) === "kernel"), named.find((e) => segments(e.name).at(-1) === "bias")],
  ] as const) {
    if (kernel === undefined) continue;
    checkShapes(label, candidate, kernel.shape, candidate.useBias ? (bias?.shape ?? []) : undefined);
    return { kernel, bias: candidate.useBias ? bias : undefined };
  }
  // Topology order and shape: the next untaken [F, units] (followed by its [units] bias).
  for (let i = 0; i < entries.length; i++) {
    const k = entries[i]!;
    const b = candidate.useBias ? entries[i + 1] : undefined;
    if (!taken.has(k) && fits(k, b)) return { kernel: k, bias: b };
  }
  return undefined;
}

/** The shard files of a group, resolved inside `folder` (its real path), refusing paths and links that leave it. */
async function shardFiles(
  folder: string,
  realFolder: string,
  paths: readonly string[],
  label: string,
): Promise<{ path: string; size: number }[]> {
  const out: { path: string; size: number }[] = [];
  for (const p of paths) {
    if (p.length === 0 || isAbsolute(p) || p.includes("\0") || /^[a-z][a-z0-9+.-]*:/i.test(p))
      throw fileError(`${label}: shard path ${JSON.stringify(p)} is not a relative path inside the model's folder`);
    const full = resolve(folder, p);
    const rel = relative(folder, full);
    if (rel.startsWith(`..${sep}`) || rel === ".." || isAbsolute(rel))
      throw fileError(`${label}: shard path ${JSON.stringify(p)} points outside the model's folder`);
    let real: string;
    try {
      real = await realpath(full);
    } catch (error) {
      throw fileError(`${label}: shard ${JSON.stringify(p)} is missing or unreadable`, error);
    }
    const realRel = relative(realFolder, real);
    if (realRel.startsWith(`..${sep}`) || realRel === ".." || isAbsolute(realRel))
      throw fileError(`${label}: shard ${JSON.stringify(p)} is a link to outside the model's folder`);
    const info = await stat(real);
    if (!info.isFile()) throw fileError(`${label}: shard ${JSON.stringify(p)} is not a file`);
    out.push({ path: real, size: info.size });
  }
  return out;
}

/** Reads [offset, offset + bytes) of the concatenation of `shards`. */
async function readRange(
  shards: readonly { path: string; size: number }[],
  offset: number,
  bytes: number,
  label: string,
): Promise<Uint8Array> {
  const total = shards.reduce((a, s) => a + s.size, 0);
  if (offset + bytes > total) throw sizeError(`${label}: the weights need bytes up to ${offset + bytes}, but the shards hold ${total}`);
  const out = new Uint8Array(bytes);
  let start = 0;
  let written = 0;
  for (const shard of shards) {
    const end = start + shard.size;
    if (written < bytes && end > offset + written) {
      const from = offset + written - start;
      const length = Math.min(shard.size - from, bytes - written);
      const handle = await open(shard.path, "r");
      try {
        const { bytesRead } = await handle.read(out, written, length, from);
        if (bytesRead !== length) throw fileError(`${label}: ${shard.path} changed while being read`);
      } finally {
        await handle.close();
      }
      written += length;
    }
    start = end;
  }
  return out;
}

function decode(entry: Entry, bytes: Uint8Array, label: string): Float32Array {
  const q = entry.quantization;
  if (q?.dtype === "uint8" || q?.dtype === "uint16") return dequantize(bytes, 0, entry.count, q.dtype, q.scale, q.min);
  if (q?.dtype === "float16") return toFloat32(bytes, 0, entry.count, "float16");
  if (entry.dtype !== "float32") throw formatError(`${label}: weight ${JSON.stringify(entry.name)} is ${entry.dtype}, not float32`);
  return toFloat32(bytes, 0, entry.count, "float32");
}

export async function locateTfjs(json: unknown, modelPath: string, label: string): Promise<Located[]> {
  if (!isObject(json)) throw formatError(`${label}: not a TF.js model.json (not a JSON object)`);
  if (json.modelTopology === undefined) throw formatError(`${label}: not a TF.js Layers model.json (no modelTopology)`);
  const candidates = findCandidates(json.modelTopology, label);
  const { entries, groups } = readManifest(json, label);
  const folder = dirname(resolve(modelPath));
  const taken = new Set<Entry>();
  return candidates.map((candidate) => {
    const found = findWeights(candidate, entries, taken, label);
    if (!found)
      throw formatError(
        `${label}: no weights in the manifest fit layer ${JSON.stringify(candidate.name)} ([features, ${candidate.units}]${candidate.useBias ? " and a bias" : ""})`,
      );
    taken.add(found.kernel);
    if (found.bias) taken.add(found.bias);
    const features = checkShapes(label, candidate, found.kernel.shape, found.bias?.shape);
    const readEntry = async (entry: Entry): Promise<Float32Array> => {
      const realFolder = await realpath(folder);
      const shards = await shardFiles(folder, realFolder, groups[entry.group]!, label);
      return decode(entry, await readRange(shards, entry.offset, entry.bytes, label), label);
    };
    return {
      candidate,
      features,
      dtype: found.kernel.quantization?.dtype ?? found.kernel.dtype,
      location: found.kernel.name,
      read: async () => ({ kernel: await readEntry(found.kernel), bias: found.bias ? await readEntry(found.bias) : null }),
    };
  });
}
