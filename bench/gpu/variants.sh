#!/usr/bin/env bash
# Times build variants of the CUDA kernels side by side on the GPU machine: each NAME=FLAGS argument rebuilds
# the sources in VARIANT_SOURCES (default cuda/small_units.cu) under those nvcc flags (macros the kernels
# read, e.g. -DTDCUDA_HALF_VECS_IN_FLIGHT=4) and links them with the other objects of a bench/gpu/run.sh
# build (build-gpu/, so run.sh runs first) into a timing binary; then runs `timing bench --only ONLY` for
# each in turn, twice, alternating, and prints one line per variant and shape (median ms of each pass).
# For tuning experiments; the shipped values are the macros' defaults.
# Usage: bash bench/gpu/variants.sh ONLY NAME=FLAGS [NAME=FLAGS ...]    env: VARIANT_SOURCES, ARCH (sm_90)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ARCH="${ARCH:-sm_90}"
read -r -a sources <<<"${VARIANT_SOURCES:-cuda/small_units.cu}"
only=$1
shift
names=()
for spec in "$@"; do
  name=${spec%%=*}
  flags=${spec#*=}
  names+=("$name")
  (
    dir=build-gpu/variant-$name
    mkdir -p "$dir"
    objects=()
    for src in cuda/*.cu bench/gpu/timing.cu; do
      base=$(basename "$src" .cu)
      if [[ " ${sources[*]} " == *" $src "* ]]; then
        # shellcheck disable=SC2086 # flags are split on purpose
        nvcc -std=c++17 -O3 -arch="$ARCH" $flags -c "$src" -o "$dir/$base.o" || exit 1
        objects+=("$dir/$base.o")
      else
        objects+=("build-gpu/$base.o")
      fi
    done
    nvcc -arch="$ARCH" "${objects[@]}" -o "$dir/timing"
  ) &
done
wait
for pass in 1 2; do
  for name in "${names[@]}"; do
    build-gpu/variant-$name/timing bench --only "$only" --json "build-gpu/variant-$name/pass-$pass.json" >/dev/null ||
      echo "FAIL: variant $name"
  done
done
echo "== variants ($only): median ms, pass 1 / pass 2"
python3 - "${names[@]}" <<'PY'
import json, sys
names = sys.argv[1:]
for name in names:
    rows = {}
    for p in (1, 2):
        try:
            for line in open(f"build-gpu/variant-{name}/pass-{p}.json"):
                r = json.loads(line)
                rows.setdefault((r["shape"], r["act"], r.get("dtype")), []).append(f"{r['ms']:.4f} ({r['pct_copy']:.0f}%)")
        except OSError:
            pass
    for (shape, act, dtype), values in rows.items():
        print(f"{name:<12} {shape:<18} {act:<8} {dtype:<9} {' / '.join(values)}")
PY
