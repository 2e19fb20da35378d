#!/usr/bin/env bash
# Nsight Compute profile of the tdfast kernels for some bench shapes; run after run.sh built
# build-gpu/timing. Usage: bash bench/gpu/profile.sh "64x4096x128->16" ...   (env: OUT)
# Full reports go to $OUT/ncu.txt; a few headline metrics are printed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
OUT="${OUT:-$(mktemp -d)}"
: >"$OUT/ncu.txt"
for only in "$@"; do
  echo "== ncu: $only" | tee -a "$OUT/ncu.txt"
  if timeout 120 ncu --kernel-name regex:'tiledKernel|smallUnitsKernel|rowwiseKernel' --launch-skip 3 --launch-count 1 \
    --section SpeedOfLight --section Occupancy --section LaunchStats --section WarpStateStats \
    --section SchedulerStats --section MemoryWorkloadAnalysis --section InstructionStats \
    build-gpu/timing bench --only "$only" >"$OUT/ncu_one.txt" 2>&1; then
    headline="tiledKernel|smallUnitsKernel|Duration|DRAM Throughput|Compute \(SM\) Throughput|Achieved Occupancy"
    headline+="|Registers Per Thread|Grid Size|Executed Instructions  |Warp Cycles Per Issued|No Eligible|Mem Busy"
    grep -E "$headline" "$OUT/ncu_one.txt" | cut -c1-150 || true
  else
    echo "FAIL: ncu $only"
    tail -5 "$OUT/ncu_one.txt"
  fi
  cat "$OUT/ncu_one.txt" >>"$OUT/ncu.txt"
done
rm -f "$OUT/ncu_one.txt"
