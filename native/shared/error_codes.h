// The stable `code` of every error tdfast throws, shared with lib/errors.ts (ERROR_CODES there lists the same
// strings; test/error-codes.test.mjs checks that the two lists agree). Append only: users match on these.
#pragma once

namespace tdfast {
namespace codes {

constexpr const char* kInvalidType = "ERR_TDFAST_INVALID_TYPE";         // TypeError: an argument of the wrong type
constexpr const char* kInvalidSize = "ERR_TDFAST_INVALID_SIZE";         // RangeError: a wrong shape, length or size
constexpr const char* kInvalidValue = "ERR_TDFAST_INVALID_VALUE";       // RangeError: a value out of its set or range
constexpr const char* kDisposed = "ERR_TDFAST_DISPOSED";                // Error: a disposed layer, weights or buffer
constexpr const char* kOutOfMemory = "ERR_TDFAST_OUT_OF_MEMORY";        // RangeError: an allocation failed
constexpr const char* kUnavailable = "ERR_TDFAST_BACKEND_UNAVAILABLE";  // Error: the backend asked for cannot run here
constexpr const char* kCuda = "ERR_TDFAST_CUDA";                        // Error: a CUDA call failed (cudaError set)
constexpr const char* kOnnx = "ERR_TDFAST_ONNX";                        // Error: onnxruntime-node failed
constexpr const char* kInternal = "ERR_TDFAST_INTERNAL";                // Error: an unexpected native failure
// Thrown by TypeScript only (lib/model, reading model files); listed here so that the two lists stay one.
constexpr const char* kModelFile = "ERR_TDFAST_MODEL_FILE";      // Error: a model file or shard cannot be read
constexpr const char* kModelFormat = "ERR_TDFAST_MODEL_FORMAT";  // Error/RangeError: not a model file tdfast reads
// Error/RangeError: no such layer, or one tdfast cannot run
constexpr const char* kModelLayer = "ERR_TDFAST_MODEL_LAYER";

}  // namespace codes
}  // namespace tdfast
