// One shape for every argument error: which argument, what was expected, what was received. Every error tdfast
// throws carries one of ERROR_CODES as its `code`.

import { types } from "node:util";

/**
 * The stable `code` of every error tdfast throws; native/shared/error_codes.h lists the same strings for the addon
 * (test/error-codes.test.mjs keeps the two lists equal).
 */
export const ERROR_CODES = [
  "ERR_TDFAST_INVALID_TYPE",
  "ERR_TDFAST_INVALID_SIZE",
  "ERR_TDFAST_INVALID_VALUE",
  "ERR_TDFAST_DISPOSED",
  "ERR_TDFAST_OUT_OF_MEMORY",
  "ERR_TDFAST_BACKEND_UNAVAILABLE",
  "ERR_TDFAST_CUDA",
  "ERR_TDFAST_ONNX",
  "ERR_TDFAST_INTERNAL",
  "ERR_TDFAST_MODEL_FILE",
  "ERR_TDFAST_MODEL_FORMAT",
  "ERR_TDFAST_MODEL_LAYER",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** A short description of a received value for error messages: its type, and its value when that is short. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "string") return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return `${typeof value} ${String(value)}`;
  if (typeof value === "function") return "a function";
  if (types.isProxy(value)) {
    const name = (value as object).constructor?.name;
    return `a Proxy${name && name !== "Object" ? ` of ${name}` : ""} (tdfast reads typed arrays natively: pass the array itself)`;
  }
  if (Array.isArray(value)) return `an Array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) {
    const length = (value as unknown as { length?: number }).length;
    return `${value.constructor.name}${length === undefined ? "" : ` of length ${length}`}`;
  }
  const name = (value as object).constructor?.name;
  return name && name !== "Object" ? `an instance of ${name}` : "an object";
}

export function withCode<E extends Error>(error: E, code: ErrorCode): E {
  Object.defineProperty(error, "code", { value: code, enumerable: true });
  return error;
}

export function invalidType(argument: string, expected: string, received: unknown): TypeError {
  return withCode(new TypeError(`${argument}: expected ${expected}, got ${describe(received)}`), "ERR_TDFAST_INVALID_TYPE");
}

export function invalidSize(argument: string, message: string): RangeError {
  return withCode(new RangeError(`${argument}: ${message}`), "ERR_TDFAST_INVALID_SIZE");
}

export function invalidValue(argument: string, expected: string, received: unknown): RangeError {
  return withCode(new RangeError(`${argument}: expected ${expected}, got ${describe(received)}`), "ERR_TDFAST_INVALID_VALUE");
}

export function unknownKey(argument: string, key: string, allowed: readonly string[]): RangeError {
  return withCode(
    new RangeError(`${argument}: unknown key ${JSON.stringify(key)} (expected one of ${allowed.join(", ")})`),
    "ERR_TDFAST_INVALID_VALUE",
  );
}

/** An Error with code ERR_TDFAST_DISPOSED. */
export function disposed(what: string): Error {
  return withCode(new Error(`${what} was disposed`), "ERR_TDFAST_DISPOSED");
}

/** The backend asked for cannot be used here (ERR_TDFAST_BACKEND_UNAVAILABLE): "<backend>: <reason>". */
export function unavailable(backend: string, reason: string): Error {
  return withCode(new Error(`${backend}: ${reason}`), "ERR_TDFAST_BACKEND_UNAVAILABLE");
}

/** onnxruntime-node failed (ERR_TDFAST_ONNX); the original error is the cause. */
export function onnxFailure(message: string, cause: unknown): Error {
  return withCode(new Error(`onnx: ${message}`, { cause }), "ERR_TDFAST_ONNX");
}
