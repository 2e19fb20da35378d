// onnxruntime-node: the layer compiled into an ONNX model (lib/onnx-model.ts), one InferenceSession per
// prepared weights. onnxruntime-node is loaded on first use, so importing tdfast stays fast and works without it.
//
// ORT's run() computes on the calling thread: one large run blocks the event loop for its whole duration. A
// worker thread does not pay here: ORT refuses SharedArrayBuffer memory, so every call would copy its input for
// the worker, and for this memory-bound op that copy alone takes longer than ORT's whole computation (the
// figures are in docs/benchmarks.md).
// Large calls instead run as row slices of about SLICE_MS each, reading the caller's x and writing the
// caller's out in place (no copies); the event loop runs between slices.

import { types } from "node:util";

import type * as Ort from "onnxruntime-node";

import type { ElementCode, HostArray } from "../binding.js";
import { onnxFailure, unavailable, withCode } from "../errors.js";
import { type Float16Data, float16Bits } from "../float16.js";
import { buildDenseModel, INPUT_NAME, OUTPUT_NAME } from "../onnx-model.js";
import type { Availability, Backend, DenseSpec, PreparedDense } from "./types.js";

type OrtState = { ort: typeof Ort; error?: undefined } | { ort?: undefined; error: string };

let ortState: OrtState | undefined;

const firstLine = (cause: unknown): string => (cause instanceof Error ? cause.message.split("\n")[0]! : String(cause));

/** onnxruntime-node and protobufjs (which encodes the model) are optional dependencies: an install without them
 * (--omit=optional, a platform onnxruntime-node does not support, a failed download) leaves this backend
 * unavailable with the reason, and "auto" uses the native kernel. */
function loadOrt(): OrtState {
  if (!ortState) {
    const missing = ["onnxruntime-node", "protobufjs"].filter((name) => !isInstalled(name));
    if (missing.length > 0) {
      ortState = {
        error: `${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not installed (optional dependencies of tdfast: npm install ${missing.join(" ")})`,
      };
      return ortState;
    }
    try {
      ortState = { ort: require("onnxruntime-node") as typeof Ort };
    } catch (cause) {
      ortState = { error: `onnxruntime-node could not be loaded: ${firstLine(cause)}` };
    }
  }
  return ortState;
}

function isInstalled(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch (cause) {
    if ((cause as { code?: unknown }).code === "MODULE_NOT_FOUND") return false;
    throw cause;
  }
}

// Each of these was measured against the alternatives on this op (docs/benchmarks.md): level "all" (the
// MatMul + Add + activation fusions) beats "disabled" and "basic"; ORT's default intra-op threads beat one
// thread on large calls; the memory arena stays on. The graph is a single chain, so execution is sequential.
const SESSION_OPTIONS: Ort.InferenceSession.SessionOptions = { graphOptimizationLevel: "all", executionMode: "sequential" };

/** How long one slice should hold the event loop; ORT's per-run overhead stays a few percent of it. */
const SLICE_MS = 2;
/** Work units (see firstSliceRows) ORT computed in about 1 ms on the 2-core development machine: only the first
 * slice's size, which then adapts to the machine. */
const WORK_PER_MS = 2 ** 21;

/**
 * Rows for the first slice of these weights. A row costs its F + U floats of memory traffic plus F·U
 * multiply-adds, about 16 of which cost what one float of traffic does. Later slices double while they finish
 * in under SLICE_MS / 2, so faster machines converge to SLICE_MS-long slices.
 */
function firstSliceRows(features: number, units: number): number {
  return Math.max(1, Math.floor((SLICE_MS * WORK_PER_MS) / (features + units + (features * units) / 16)));
}

// float16 x and out travel as Uint16Array views of their bits (onnxruntime-node takes those for "float16"
// tensors on every Node version, and wraps them as Float16Array itself where that exists).
type OrtArray = Float32Array | Uint16Array;
const ARRAY_KIND = [Float32Array, Uint16Array] as const;
const ORT_TYPE = ["float32", "float16"] as const;

function ortView(array: HostArray, code: ElementCode): OrtArray {
  return code === 1 ? float16Bits(array as Float16Data) : (array as Float32Array);
}

/**
 * An onnxruntime-node tensor over `data`, in place. On a runtime with Float16Array, onnxruntime-common wraps a
 * float16 tensor's Uint16Array in a Float16Array, whose byte length onnxruntime-node 1.30's native binding
 * (node-addon-api) reads as 0 ("not enough space: expected N, got 0"): every float16 tensor fails on Node 24.
 * The tensor is then pointed back at the Uint16Array view of the same memory, which the binding reads.
 */
function ortTensor(ort: typeof Ort, code: ElementCode, data: OrtArray, dims: number[]): Ort.Tensor {
  const tensor = new ort.Tensor(ORT_TYPE[code], data, dims);
  if (code === 1 && tensor.data !== data && "cpuData" in tensor) (tensor as unknown as { cpuData: OrtArray }).cpuData = data;
  return tensor;
}

/** Whether onnxruntime-node can read or write this array in place. */
function ortAccepts(array: OrtArray, code: ElementCode): boolean {
  return array instanceof ARRAY_KIND[code] && !types.isSharedArrayBuffer(array.buffer);
}

let sessionsCreated = 0;

/** For tests: how many InferenceSessions this process has created. */
export function onnxSessionCount(): number {
  return sessionsCreated;
}

function prepare(spec: DenseSpec): PreparedDense {
  const { ort, error } = loadOrt();
  if (!ort) throw unavailable("onnx", error);
  const { features, units } = spec;
  // One session per element types of x and out (a model with Casts for float16), each created on first use;
  // create() resolves on a later tick: prepare returns at once with the float32 one and run() awaits it.
  const sessions = new Map<number, Promise<Ort.InferenceSession>>();
  const sessionFor = (xType: ElementCode, outType: ElementCode): Promise<Ort.InferenceSession> => {
    const key = xType * 2 + outType;
    let session = sessions.get(key);
    if (!session) {
      session = ort.InferenceSession.create(buildDenseModel(spec, { input: ORT_TYPE[xType], output: ORT_TYPE[outType] }), SESSION_OPTIONS);
      sessionsCreated++;
      // run() reports a failed creation; this handler only keeps it from being an unhandled rejection meanwhile.
      session.catch(() => undefined);
      sessions.set(key, session);
    }
    return session;
  };
  sessionFor(0, 0);

  let sliceRows = firstSliceRows(features, units);
  let running = 0;
  let disposed = false;
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    for (const session of sessions.values()) session.then((ready) => ready.release()).catch(() => undefined);
  };

  return {
    async run(x, rows, out, xType = 0, outType = 0) {
      if (rows === 0) return;
      running++;
      try {
        const ready = await sessionFor(xType, outType).catch((cause: unknown) => {
          throw onnxFailure(`could not create the onnxruntime session: ${firstLine(cause)}`, cause);
        });
        // onnxruntime-node takes only this realm's Float32Array over an ordinary ArrayBuffer: x from a
        // SharedArrayBuffer, a shared WebAssembly.Memory or another realm is copied in, slice by slice, and such
        // an out is computed into a scratch slice and copied back. Shared x with shared out is copied whole, up
        // front: the two may be views of one memory (the addon, when loaded, refuses that before it gets here),
        // and a slice's results must not overwrite rows a later slice reads.
        const xView = ortView(x, xType);
        const outView = ortView(out, outType);
        const XKind = ARRAY_KIND[xType];
        const OutKind = ARRAY_KIND[outType];
        const source = types.isSharedArrayBuffer(x.buffer) && types.isSharedArrayBuffer(out.buffer) ? new XKind(xView) : xView;
        const readsInPlace = ortAccepts(source, xType);
        const writesInPlace = ortAccepts(outView, outType);
        // The program runs between slices (and before onnxruntime's run starts): it may have transferred x's or
        // out's buffer meanwhile. Such a call ends with this error; no buffer is marked untransferable, since
        // nothing can crash here.
        const checkAttached = (cause?: unknown): void => {
          for (const [argument, array, length] of [
            ["x", x, rows * features],
            ["out", out, rows * units],
          ] as const)
            if (array.length !== length)
              throw withCode(
                new RangeError(`${argument}: its ArrayBuffer was detached while the call ran`, { cause }),
                "ERR_TDFAST_INVALID_VALUE",
              );
        };
        for (let start = 0; start < rows; ) {
          checkAttached();
          const count = Math.min(sliceRows, rows - start);
          const began = performance.now();
          const xSlice = source.subarray(start * features, (start + count) * features);
          const outSlice = outView.subarray(start * units, (start + count) * units);
          const target = writesInPlace ? outSlice : new OutKind(outSlice.length);
          try {
            // Tensors over subarrays: ORT reads x and writes out in place.
            await ready.run(
              { [INPUT_NAME]: ortTensor(ort, xType, readsInPlace ? xSlice : new XKind(xSlice), [count, features]) },
              { [OUTPUT_NAME]: ortTensor(ort, outType, target, [count, units]) },
            );
          } catch (cause) {
            checkAttached(cause); // onnxruntime refuses an array whose buffer was detached: say so
            throw onnxFailure(`onnxruntime failed: ${firstLine(cause)}`, cause);
          }
          if (!writesInPlace) {
            checkAttached(); // the program ran while onnxruntime's run resolved
            (outSlice as Uint16Array).set(target as Uint16Array);
          }
          if (count === sliceRows && performance.now() - began < SLICE_MS / 2) sliceRows *= 2;
          start += count;
        }
      } finally {
        running--;
        if (disposed && running === 0) release();
      }
    },
    // Calls still in flight finish first; the session is released after the last one (or once it is created).
    dispose() {
      disposed = true;
      if (running === 0) release();
    },
  };
}

export const onnxBackend: Backend = {
  name: "onnx",
  supportsSync: false,
  supportsFloat16: true,
  availability(): Availability {
    const { ort, error } = loadOrt();
    return ort ? { available: true } : { available: false, reason: error };
  },
  prepare,
};
