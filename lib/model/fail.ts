// Errors of the model readers: every one carries a stable code (lib/errors.ts, ERROR_CODES).
//   ERR_TDFAST_MODEL_FILE    a file could not be read: missing, unreadable, a shard outside the model's folder
//   ERR_TDFAST_MODEL_FORMAT  the bytes are not a model file tdfast reads, or disagree with themselves
//   ERR_TDFAST_MODEL_LAYER   no such layer, or a layer tdfast cannot run (activation, quantization)

import { withCode } from "../errors.js";

/** A message from a library that may throw strings (jsfive does). */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === "string" ? error : String(error);
}

export function fileError(message: string, cause?: unknown): Error {
  return withCode(new Error(message, cause === undefined ? undefined : { cause }), "ERR_TDFAST_MODEL_FILE");
}

export function formatError(message: string, cause?: unknown): Error {
  return withCode(new Error(message, cause === undefined ? undefined : { cause }), "ERR_TDFAST_MODEL_FORMAT");
}

/** A size in the file that is impossible or beyond what the file justifies. */
export function sizeError(message: string): RangeError {
  return withCode(new RangeError(message), "ERR_TDFAST_MODEL_FORMAT");
}

export function layerError(message: string): Error {
  return withCode(new Error(message), "ERR_TDFAST_MODEL_LAYER");
}

export function missingLayerError(message: string): RangeError {
  return withCode(new RangeError(message), "ERR_TDFAST_MODEL_LAYER");
}

/** Re-throws errors that already carry a tdfast code; wraps anything else (a library's) as a format error. */
export function asFormatError(context: string, error: unknown): Error {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  if (error instanceof Error && typeof code === "string" && code.startsWith("ERR_TDFAST_")) return error;
  return formatError(`${context}: ${messageOf(error)}`, error);
}
