// Host arrays handed to work that goes on after the call that started it returns (an async call on a libuv
// thread, a cuda upload): they must not shrink or be detached meanwhile.

import { types } from "node:util";
import { markAsUntransferable } from "node:worker_threads";

import { invalidValue } from "./errors.js";

/**
 * Makes a host array safe to hand to a call that runs on after this function returns (an async call on a
 * worker thread, or the onnx backend's slices), before the call starts:
 * - a resizable ArrayBuffer is refused: it could shrink (resize()) while the call reads or writes it;
 * - see pinForAsync for what happens after.
 */
export function checkAsyncBuffer(argument: string, data: ArrayBufferView): void {
  const buffer = data.buffer as ArrayBuffer & { resizable?: boolean };
  if (buffer.resizable === true)
    throw invalidValue(
      argument,
      "a Float32Array over a fixed-length ArrayBuffer in an async call (a resizable one could shrink while the call runs; use the Sync API or copy it)",
      "one over a resizable ArrayBuffer",
    );
}

/**
 * Called right after an async call on another thread has started (no JavaScript has run since): marks the
 * ArrayBuffer behind `data` untransferable (node:worker_threads markAsUntransferable), so that it can never be detached while
 * the call still reads or writes it (except through ArrayBuffer.prototype.transfer() on Node 22, which ignores
 * the mark; the README says so). The mark is permanent (Node has no way to lift it): afterwards, putting
 * that buffer in a transfer list throws a DataCloneError (Node 22 and later) or copies it (Node 20). A
 * SharedArrayBuffer needs none: it can be neither transferred nor shrunk.
 */
export function pinForAsync(data: ArrayBufferView): void {
  const buffer = data.buffer;
  if (!types.isSharedArrayBuffer(buffer)) markAsUntransferable(buffer);
}
