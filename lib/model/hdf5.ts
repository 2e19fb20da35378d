// HDF5 through jsfive (pure JavaScript, loaded on first use): groups, links and attributes come from jsfive;
// dataset values are read here from the data address jsfive parses, so that every size is checked against the
// file before anything is allocated, and so that Keras's bfloat16 (an HDF5 opaque type with a dtype="bfloat16"
// attribute, which jsfive does not decode) reads too. Chunked datasets (h5py's compressed ones) go through
// jsfive's own reader, after the same size checks.

import { toFloat32 } from "./dtypes.js";
import { asFormatError, formatError, messageOf, sizeError } from "./fail.js";

/** The parts of jsfive tdfast uses (it ships no types). */
interface JsfiveMessage {
  get(key: string): number;
}
interface JsfiveDataObjects {
  find_msg_type(type: number): JsfiveMessage[];
  _get_data_message_properties(offset: number): [number, number, number, number];
}
interface JsfiveNode {
  readonly name: string;
  readonly attrs: Record<string, unknown>;
  readonly _dataobjects: JsfiveDataObjects;
}
export interface JsfiveGroup extends JsfiveNode {
  readonly keys: string[];
  readonly _links: Record<string, unknown>;
  get(path: string): JsfiveGroup | JsfiveDataset | null;
}
export interface JsfiveDataset extends JsfiveNode {
  readonly shape: number[];
  readonly value: unknown[];
}
interface Jsfive {
  File: new (buffer: ArrayBuffer, name: string) => JsfiveGroup;
  Dataset: abstract new (...args: never[]) => JsfiveDataset;
}

let jsfive: Jsfive | undefined;
function lib(): Jsfive {
  jsfive ??= require("jsfive") as Jsfive;
  return jsfive;
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
export const isHdf5 = (bytes: Uint8Array): boolean => HDF5_SIGNATURE.every((byte, i) => bytes[i] === byte);

/** A dataset's element type, as far as tdfast cares. */
export type ElementKind = "float16" | "bfloat16" | "float32" | "float64" | "integer" | "other";
const ITEM_SIZE: Record<string, number> = { float16: 2, bfloat16: 2, float32: 4, float64: 8 };

/** Kernels and biases are at most this many elements (a Float32Array of 8 GiB). */
export const MAX_ELEMENTS = 2 ** 31;
/** Deflate's best ratio: a chunked dataset cannot hold more than this many times the file's bytes. */
const MAX_EXPANSION = 1032;

const DATASPACE_MSG = 1;
const DATATYPE_MSG = 3;
const LAYOUT_MSG = 8;

export class H5File {
  readonly root: JsfiveGroup;
  private readonly bytes: Uint8Array;

  constructor(
    bytes: Uint8Array,
    readonly label: string,
  ) {
    if (!isHdf5(bytes)) throw formatError(`${label}: not an HDF5 file (no HDF5 signature)`);
    // jsfive wants an ArrayBuffer of the file alone.
    const buffer =
      bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
        ? (bytes.buffer as ArrayBuffer)
        : (bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    this.bytes = new Uint8Array(buffer);
    try {
      this.root = new (lib().File)(buffer, label);
    } catch (error) {
      throw formatError(`${label}: corrupt HDF5 file (${messageOf(error)})`, error);
    }
  }

  /** The group or dataset at `path` ("a/b/c"), following hard links only; undefined if absent. */
  find(path: string, from: JsfiveGroup = this.root): JsfiveGroup | JsfiveDataset | undefined {
    let node: JsfiveGroup | JsfiveDataset = from;
    for (const part of path.split("/").filter(Boolean)) {
      if (node instanceof lib().Dataset) return undefined;
      const group = node as JsfiveGroup;
      const links = this.guard(path, () => group._links);
      if (!Object.hasOwn(links, part)) return undefined;
      if (typeof links[part] !== "number" && typeof links[part] !== "bigint")
        throw formatError(`${this.label}: ${path} goes through a soft or external link, which tdfast does not follow`);
      const next = this.guard(path, () => group.get(part));
      if (next === null || next === undefined) return undefined;
      node = next;
    }
    return node;
  }

  group(path: string, from?: JsfiveGroup): JsfiveGroup | undefined {
    const node = this.find(path, from);
    return node === undefined || this.isDataset(node) ? undefined : (node as JsfiveGroup);
  }

  dataset(path: string, from?: JsfiveGroup): JsfiveDataset | undefined {
    const node = this.find(path, from);
    return node !== undefined && this.isDataset(node) ? (node as JsfiveDataset) : undefined;
  }

  isDataset(node: JsfiveGroup | JsfiveDataset): node is JsfiveDataset {
    return node instanceof lib().Dataset;
  }

  keys(group: JsfiveGroup): string[] {
    return this.guard(group.name, () => group.keys);
  }

  attrs(node: JsfiveGroup | JsfiveDataset): Record<string, unknown> {
    return this.guard(`${node.name} attributes`, () => node.attrs);
  }

  /** Read here from the dataspace message: jsfive keeps only the low 32 bits of each dimension. */
  shape(dataset: JsfiveDataset): number[] {
    const offset = this.messageOffset(dataset, DATASPACE_MSG);
    const view = new DataView(this.bytes.buffer);
    if (offset + 8 > this.bytes.length) throw formatError(`${this.label}: ${dataset.name}: truncated dataspace`);
    const version = view.getUint8(offset);
    const rank = view.getUint8(offset + 1);
    const start = version === 1 ? offset + 8 : version === 2 ? offset + 4 : -1;
    if (start < 0) throw formatError(`${this.label}: ${dataset.name}: unknown dataspace version ${version}`);
    if (start + rank * 8 > this.bytes.length) throw formatError(`${this.label}: ${dataset.name}: truncated dataspace`);
    const shape: number[] = [];
    for (let i = 0; i < rank; i++) {
      const n = view.getBigUint64(start + i * 8, true);
      if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw sizeError(`${this.label}: ${dataset.name} declares a dimension of ${n}`);
      shape.push(Number(n));
    }
    return shape;
  }

  /** The element type, from the datatype message's header (class, size, byte order) and Keras's dtype attribute. */
  kind(dataset: JsfiveDataset): ElementKind {
    const offset = this.messageOffset(dataset, DATATYPE_MSG);
    if (offset + 8 > this.bytes.length) throw formatError(`${this.label}: ${dataset.name}: truncated datatype`);
    const typeClass = this.bytes[offset]! & 0x0f;
    const bigEndian = (this.bytes[offset + 1]! & 1) === 1;
    const size = new DataView(this.bytes.buffer).getUint32(offset + 4, true);
    if (typeClass === 0) return "integer";
    if (typeClass === 1 && !bigEndian) return size === 2 ? "float16" : size === 4 ? "float32" : size === 8 ? "float64" : "other";
    if (typeClass === 5 && size === 2 && this.attrs(dataset).dtype === "bfloat16") return "bfloat16";
    return "other";
  }

  /** A float dataset's values as float32, after checking that the file holds what its shape declares. */
  readFloat32(dataset: JsfiveDataset, what: string): Float32Array {
    const shape = this.shape(dataset);
    const count = shape.reduce((a, b) => a * b, 1);
    if (count > MAX_ELEMENTS) throw sizeError(`${this.label}: ${what} declares shape [${shape.join(", ")}], over ${MAX_ELEMENTS} elements`);
    const kind = this.kind(dataset);
    const itemSize = ITEM_SIZE[kind];
    if (itemSize === undefined) throw formatError(`${this.label}: ${what} holds ${kind} values, not floats`);
    const bytes = count * itemSize;
    const layoutOffset = this.messageOffset(dataset, LAYOUT_MSG);
    const [, , layoutClass, propertyOffset] = this.guard(dataset.name, () =>
      dataset._dataobjects._get_data_message_properties(layoutOffset),
    );
    if (layoutClass === 1) {
      if (propertyOffset + 8 > this.bytes.length) throw formatError(`${this.label}: ${what}: truncated data layout`);
      const address = new DataView(this.bytes.buffer).getBigUint64(propertyOffset, true);
      if (address === 0xffffffffffffffffn) throw formatError(`${this.label}: ${what} has no data (never written)`);
      if (address + BigInt(bytes) > BigInt(this.bytes.length))
        throw sizeError(
          `${this.label}: ${what} declares ${bytes} bytes at offset ${address}, beyond the file's ${this.bytes.length} bytes`,
        );
      return toFloat32(this.bytes, Number(address), count, kind as "float32");
    }
    if (layoutClass === 2) {
      if (kind === "bfloat16") throw formatError(`${this.label}: ${what}: chunked bfloat16 datasets are not supported`);
      if (bytes > this.bytes.length * MAX_EXPANSION)
        throw sizeError(`${this.label}: ${what} declares ${bytes} bytes, more than ${this.bytes.length} bytes of file can hold`);
      const values = this.guard(dataset.name, () => dataset.value);
      if (!Array.isArray(values) || values.length !== count)
        throw sizeError(`${this.label}: ${what}: read ${Array.isArray(values) ? values.length : 0} values, expected ${count}`);
      return Float32Array.from(values as number[]);
    }
    throw formatError(`${this.label}: ${what}: compact or virtual storage is not supported`);
  }

  private messageOffset(dataset: JsfiveDataset, type: number): number {
    const message = this.guard(dataset.name, () => dataset._dataobjects.find_msg_type(type)[0]);
    if (!message)
      throw formatError(
        `${this.label}: ${dataset.name}: no ${type === DATASPACE_MSG ? "dataspace" : type === DATATYPE_MSG ? "datatype" : "layout"} message`,
      );
    const offset = this.guard(dataset.name, () => message.get("offset_to_message"));
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= this.bytes.length)
      throw formatError(`${this.label}: ${dataset.name}: corrupt object header`);
    return offset;
  }

  private guard<T>(what: string, read: () => T): T {
    try {
      return read();
    } catch (error) {
      throw asFormatError(`${this.label}: corrupt HDF5 file at ${what}`, error);
    }
  }
}

/** Reads an attribute holding a string list (Keras's weight_names, split as weight_names0, weight_names1, … when long). */
export function stringListAttr(attrs: Record<string, unknown>, name: string): string[] | undefined {
  const decode = (value: unknown): string[] => {
    const list = Array.isArray(value) ? value : [value];
    return list.map((v) => (typeof v === "string" ? v : v instanceof Uint8Array ? Buffer.from(v).toString("utf8") : String(v)));
  };
  if (Object.hasOwn(attrs, name)) {
    const value = attrs[name];
    // An empty list is stored as an empty float64 array.
    if (Array.isArray(value) && value.length > 0 && typeof value[0] === "number") return [];
    return decode(value).filter((s) => s.length > 0);
  }
  if (!Object.hasOwn(attrs, `${name}0`)) return undefined;
  const out: string[] = [];
  for (let i = 0; Object.hasOwn(attrs, `${name}${i}`); i++) out.push(...decode(attrs[`${name}${i}`]));
  return out;
}

/** A string attribute (JSON configs are stored as one). */
export function stringAttr(attrs: Record<string, unknown>, name: string): string | undefined {
  if (!Object.hasOwn(attrs, name)) return undefined;
  const value = attrs[name];
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString("utf8");
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === "string") return value[0];
  return undefined;
}
