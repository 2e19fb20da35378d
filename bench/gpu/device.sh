#!/usr/bin/env bash
# One call on the GPU machine (no Node.js, no network there): the Node test suite on the CUDA addon, the
# JavaScript-side call costs, then the kernel harness (bench/gpu/run.sh) with PyTorch and copy-bandwidth
# comparisons, whose table is printed last. Every path here is relative to the repository root. Prepared
# here, from the repository root, as:
#   .gpu/node.xz, .gpu/env.sh   this machine's node, xz-compressed, and a script that unpacks it and puts it
#                               first on PATH (the workplace's stage-node.sh writes both)
#   npm install --prefix .gpu/nm ava@7 node-gyp-build@4 fast-check@4 && tar -cJf .gpu/nm.tar.xz -C .gpu/nm node_modules && rm -rf .gpu/nm
#   TDFAST_CUDA_ARCHITECTURES="90-real;90" node scripts/build-addon.cjs && npm run build:ts
# and run with carry [".gpu", "build/Release/tdfast.node", "dist"]. SKIP_KERNEL_HARNESS=1 leaves out run.sh
# (its build and PyTorch comparison) when device time is short.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
OUT="${OUT:-$(mktemp -d)}"
source .gpu/env.sh
tar -xJf .gpu/nm.tar.xz -C .gpu && ln -sfn .gpu/node_modules node_modules
echo "node $(node --version)"
echo "== node tests (cuda, and every suite that runs on each available backend)"
timeout 240 node node_modules/ava/entrypoints/cli.mjs --timeout=2m test/cuda.test.mjs test/time-dense.test.mjs \
  test/errors.test.mjs test/async.test.mjs test/properties.test.mjs test/float16.test.mjs test/precision.test.mjs \
  > "$OUT/node-tests.log" 2>&1
echo "node tests exit $?"
grep -E "✘|passed|failed|skipped|ℹ|Error|message" "$OUT/node-tests.log" | tail -40
echo "== JavaScript-side call costs"
timeout 60 node bench/gpu/js-calls.mjs | tee "$OUT/js-calls.log" | tail -7
[[ "${SKIP_KERNEL_HARNESS:-0}" == 1 ]] && exit 0
echo "== kernel harness"
OUT="$OUT" bash bench/gpu/run.sh
