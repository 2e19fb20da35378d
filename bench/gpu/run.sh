#!/usr/bin/env bash
# Builds the CUDA backend (cuda/*.cu) with nvcc (no Node.js) into the correctness suite
# (test/cuda/check.cu -> check) and the timings (bench/gpu/timing.cu -> timing), then runs, on a GPU
# machine: correctness, 64-bit indexing, timings, the PyTorch reference, and a summary table
# (printed last).
# Usage: bash bench/gpu/run.sh        env: OUT (results folder), ARCH (default sm_90)
# Takes under a minute on an H100 (15 s of it the build). A failing check prints FAIL and the run
# goes on to the table; the exit status is then 1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export PYTHONUNBUFFERED=1
OUT="${OUT:-$(mktemp -d)}"
ARCH="${ARCH:-sm_90}"
BUILD=build-gpu  # not build/: node-gyp and cmake-js wipe that
mkdir -p "$OUT" "$BUILD"
rm -f "$OUT/kernels.json" "$OUT/torch.json"
exec > >(tee "$OUT/run.log") 2>&1
failed=()
step() {  # step NAME TIMEOUT_S COMMAND...: runs a step, records a failure instead of stopping
  local name=$1 limit=$2
  shift 2
  echo "== $name"
  local t0=$SECONDS
  if timeout "$limit" "$@"; then
    echo "-- $name: ok ($((SECONDS - t0)) s)"
  else
    echo "FAIL: $name (exit $?, $((SECONDS - t0)) s)"
    failed+=("$name")
  fi
}

echo "== device"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "FAIL: nvidia-smi"
nvcc --version | grep -i release

echo "== build ($ARCH)"
t0=$SECONDS
backend=(cuda/*.cu)  # the addon's CUDA sources
names=()
pids=()
for src in "${backend[@]}" test/cuda/check.cu bench/gpu/timing.cu; do
  name=$(basename "$src" .cu)
  names+=("$name")
  nvcc -std=c++17 -O3 -arch="$ARCH" -Xptxas -v -c "$src" -o "$BUILD/$name.o" 2>"$BUILD/$name.ptxas.log" &
  pids+=($!)
done
build_ok=1
for pid in "${pids[@]}"; do wait "$pid" || build_ok=0; done
backend_objects=()
for src in "${backend[@]}"; do backend_objects+=("$BUILD/$(basename "$src" .cu).o"); done
if [[ $build_ok == 1 ]]; then
  nvcc -arch="$ARCH" "${backend_objects[@]}" "$BUILD/check.o" -o "$BUILD/check" || build_ok=0
  nvcc -arch="$ARCH" "${backend_objects[@]}" "$BUILD/timing.o" -o "$BUILD/timing" || build_ok=0
fi
if [[ $build_ok != 1 ]]; then
  for name in "${names[@]}"; do cat "$BUILD/$name.ptxas.log"; done
  echo "FAIL: BUILD FAILED"
  exit 1
fi
echo "built in $((SECONDS - t0)) s"
cat "$BUILD"/small_units.ptxas.log "$BUILD"/tiled.ptxas.log >"$OUT/ptxas.log"
echo "ptxas (kernels in cuda/): $(grep -c 'Compiling entry' "$OUT/ptxas.log") kernels; spill lines:"
grep -h 'spill' "$OUT/ptxas.log" | sort | uniq -c || true
grep -hE "Compiling entry|Used [0-9]+ registers" "$OUT/ptxas.log" | paste - - |
  sed -E "s/.*(smallUnitsKernel|tiledKernel|rowwiseKernel)([A-Za-z0-9_]*)'.*Used ([0-9]+) registers.*/  \3 regs \1\2/" |
  sed -E 's/EEEvPKf.*//' || true

echo "== SASS of the U=1 kernels, float32 and float16 x (16-byte loads, no local memory)"
if cuobjdump -sass "$BUILD/small_units.o" >"$BUILD/small_units.sass"; then
  for variant in IfLi4ELi1E I6__halfLi8ELi1E; do
    awk "/Function : .*smallUnitsKernel$variant/ {f = 1; next} /Function : / {f = 0} f" \
      "$BUILD/small_units.sass" >"$BUILD/sass_u1_$variant.txt"
    echo "smallUnitsKernel$variant: $(grep -cE 'LDG\.E[.A-Z]*\.128' "$BUILD/sass_u1_$variant.txt") 16-byte LDG," \
      "$(grep -cE 'LDG' "$BUILD/sass_u1_$variant.txt") LDG in all," \
      "$(grep -cE '\b(LDL|STL)' "$BUILD/sass_u1_$variant.txt") LDL/STL"
  done
  echo "all cuda/ kernels: $(cat "$BUILD/small_units.sass" | grep -cE '\b(LDL|STL)') LDL/STL in small_units.o;" \
    "$(cuobjdump -sass "$BUILD/tiled.o" | grep -cE '\b(LDL|STL)') in tiled.o"
else
  echo "FAIL: cuobjdump"
fi

step "probe" 60 "$BUILD/check" probe
step "correctness" 180 "$BUILD/check" correct
step "large M (64-bit indexing)" 120 "$BUILD/check" large
step "tdfast timings" 150 "$BUILD/timing" bench --json "$OUT/kernels.json"
step "torch reference" 150 python3 bench/gpu/torch_ref.py --json "$OUT/torch.json"

echo "== summary"
python3 bench/gpu/table.py "$OUT/kernels.json" "$OUT/torch.json" || echo "FAIL: table"
if ((${#failed[@]})); then
  echo "FAILED STEPS: ${failed[*]}"
  exit 1
fi
echo "ALL STEPS PASSED"
