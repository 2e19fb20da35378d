"""PyTorch reference timings for the shapes of `timing bench`: torch.nn.functional.linear + activation
on device tensors (float32, TF32 off), median of CUDA-event timings, plus the copy bandwidth.
float16 x rows: "ms" is the faster of torch's two natural ways, the whole layer in float16 (cuBLAS
accumulates in float32 but rounds z to float16 before the activation) or x cast to float32 first; both
are kept ("half_ms", "cast_ms").

Usage: python3 bench/gpu/torch_ref.py [--json FILE]     (prints JSON lines; FILE gets them too)
"""
import json
import math
import sys

import torch
import torch.nn.functional as tnf

# (B, T, F, U, activation) as in bench/gpu/timing.cu
SHAPES = [
    (1, 1000, 64, 1, "sigmoid"),
    (32, 1000, 64, 1, "sigmoid"),
    (64, 4096, 128, 1, "sigmoid"),
    (1024, 4096, 64, 1, "sigmoid"),
    (256, 16384, 64, 1, "sigmoid"),
    (32, 1000, 64, 16, "relu"),
    (8, 512, 256, 64, "softmax"),
    (64, 4096, 128, 16, "softmax"),
    (64, 4096, 128, 64, "softmax"),
    # float16 x: (..., dtype) as in timing.cu
    (32, 1000, 64, 1, "sigmoid", "f16->f32"),
    (64, 4096, 128, 1, "sigmoid", "f16->f32"),
    (1024, 4096, 64, 1, "sigmoid", "f16->f32"),
    (32, 1000, 64, 16, "relu", "f16->f32"),
    (64, 4096, 128, 16, "softmax", "f16->f16"),
    (64, 4096, 128, 64, "softmax", "f16->f16"),
]
ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "softmax": lambda y: torch.softmax(y, dim=-1),
}
WARMUP, REPS = 5, 30
SPIN_CYCLES = 20_000_000  # keeps the stream busy while the timed work is queued (as timing.cu does)


def time_reps(fn):
    """Median, p10 and p90 in ms of REPS calls of fn(rep), each between two CUDA events."""
    for i in range(WARMUP):
        fn(i)
    torch.cuda.synchronize()
    starts = [torch.cuda.Event(enable_timing=True) for _ in range(REPS)]
    ends = [torch.cuda.Event(enable_timing=True) for _ in range(REPS)]
    torch.cuda._sleep(SPIN_CYCLES)
    for i in range(REPS):
        starts[i].record()
        fn(i)
        ends[i].record()
    torch.cuda.synchronize()
    ms = sorted(s.elapsed_time(e) for s, e in zip(starts, ends))
    return ms[REPS // 2], ms[REPS // 10], ms[REPS - 1 - REPS // 10]


def rotation_for(nbytes):
    """Enough input copies that repeated runs do not read from L2."""
    return 1 if nbytes >= 200 << 20 else max(2, (256 << 20) // nbytes)


def bench(b, t, f, u, act_name, dtype="f32->f32"):
    m = b * t
    half_x, half_y = dtype.startswith("f16"), dtype.endswith("f16")
    in_bytes, out_bytes = m * f * (2 if half_x else 4), m * u * (2 if half_y else 4)
    rot = rotation_for(in_bytes)
    x = torch.rand(rot, m, f, device="cuda") * 2 - 1
    if half_x:
        x = x.half()
    w = (torch.rand(u, f, device="cuda") * 2 - 1) * (4.5 / math.sqrt(f))
    bias = torch.rand(u, device="cuda") - 0.5
    w16, bias16 = w.half(), bias.half()
    act = ACTIVATIONS[act_name]
    out = [None]
    extra = {}

    def run(i):
        out[0] = act(tnf.linear(x[i % rot], w, bias))

    def run_linear(i):
        out[0] = tnf.linear(x[i % rot], w, bias)

    if half_x:
        def run_half(i):
            out[0] = act(tnf.linear(x[i % rot], w16, bias16))

        def run_cast(i):
            y = act(tnf.linear(x[i % rot].float(), w, bias))
            out[0] = y.half() if half_y else y

        half = time_reps(run_half)
        cast = time_reps(run_cast)
        ms, p10, p90 = min(half, cast)
        linear_ms = time_reps(lambda i: tnf.linear(x[i % rot], w16, bias16))[0]
        extra = {"half_ms": round(half[0], 5), "cast_ms": round(cast[0], 5)}
    else:
        ms, p10, p90 = time_reps(run)
        linear_ms = time_reps(run_linear)[0]
    copy_elems = (in_bytes + out_bytes) // 2 // 4
    src = torch.rand(rot, copy_elems, device="cuda")
    dst = torch.empty_like(src)
    copy_ms = time_reps(lambda i: dst[i % rot].copy_(src[i % rot]))[0]
    nbytes = in_bytes + out_bytes
    gbps = nbytes / (ms * 1e-3) / 1e9
    copy_gbps = 2 * copy_elems * 4 / (copy_ms * 1e-3) / 1e9
    del x, src, dst, out[0]
    torch.cuda.empty_cache()
    return {
        "source": "torch",
        "shape": f"{b}x{t}x{f}->{u}",
        "act": act_name,
        "dtype": dtype,
        "M": m, "F": f, "U": u,
        "bytes": nbytes,
        "ms": round(ms, 5), "ms_p10": round(p10, 5), "ms_p90": round(p90, 5),
        "linear_ms": round(linear_ms, 5),
        "gbps": round(gbps, 1),
        "copy_ms": round(copy_ms, 5), "copy_gbps": round(copy_gbps, 1),
        "pct_copy": round(100 * gbps / copy_gbps, 1),
        **extra,
    }


def main():
    json_path = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == "--json" else None
    torch.backends.cuda.matmul.allow_tf32 = False  # float32 products, as tdfast computes them
    torch.backends.cudnn.allow_tf32 = False
    print(json.dumps({"source": "torch_env", "torch": torch.__version__, "device": torch.cuda.get_device_name(),
                      "tf32": torch.backends.cuda.matmul.allow_tf32}))
    lines = [json.dumps(bench(*shape)) for shape in SHAPES]
    for line in lines:
        print(line)
    if json_path:
        with open(json_path, "w") as fh:
            fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
