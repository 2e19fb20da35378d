"""Prints the summary table of a bench/gpu/run.sh run from the JSON lines of timing and torch_ref.py.

Usage: python3 bench/gpu/table.py KERNELS_JSON TORCH_JSON
"""
import json
import os
import sys


def read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as fh:
        return [json.loads(line) for line in fh if line.strip()]


def main():
    ours = read_lines(sys.argv[1])
    torch_rows = {(r["shape"], r["act"], r.get("dtype", "f32->f32")): r for r in read_lines(sys.argv[2])}
    print(f"{'shape (BxTxF->U)':<22} {'act':<8} {'dtype':<8} {'tdfast ms':>10} {'GB/s':>7} {'%copy':>6} "
          f"{'copy GB/s':>9} {'torch ms':>9} {'torch/td':>8}")
    for r in ours:
        if r["source"] != "tdfast":
            continue
        t = torch_rows.get((r["shape"], r["act"], r.get("dtype", "f32->f32")))
        torch_ms = f"{t['ms']:.4f}" if t else "-"
        ratio = f"{t['ms'] / r['ms']:.2f}" if t else "-"
        print(f"{r['shape']:<22} {r['act']:<8} {r.get('dtype', 'f32->f32'):<8} {r['ms']:>10.4f} {r['gbps']:>7.0f} {r['pct_copy']:>6.1f} "
              f"{r['copy_gbps']:>9.0f} {torch_ms:>9} {ratio:>8}")
    f32 = {(r["shape"], r["act"]): r for r in ours if r["source"] == "tdfast" and r.get("dtype", "f32->f32") == "f32->f32"}
    for r in ours:
        base = f32.get((r["shape"], r["act"]))
        if r["source"] == "tdfast" and r.get("dtype", "f32->f32") != "f32->f32" and base:
            print(f"{r.get('dtype')} vs f32->f32, {r['shape']} {r['act']}: {base['ms']:.4f} / {r['ms']:.4f} ms = "
                  f"{base['ms'] / r['ms']:.2f}x faster")
    for r in ours:
        if r["source"] == "tdfast_host":
            print(f"host path {r['shape']} {r['act']} {r.get('dtype', 'f32->f32')}: {r['ms']:.2f} ms, {r['gbps']:.1f} GB/s = "
                  f"{r['pct_pinned']:.1f}% of pinned H2D ({r['pinned_h2d_gbps']:.1f} GB/s; "
                  f"pageable H2D {r['pageable_h2d_gbps']:.1f} GB/s)")
    if not ours:
        print("(no tdfast timings)")


if __name__ == "__main__":
    main()
