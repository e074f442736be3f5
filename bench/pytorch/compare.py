#!/usr/bin/env python3
"""PyTorch next to FoldRT on the same ONNX files: eager with BatchNorm as its own (cuDNN) op, eager with
torch.nn.utils.fusion.fuse_conv_bn_eval folding, and both replayed as CUDA graphs.

The ONNX file FoldRT benchmarks (a zoo model exported by FoldRT, or your own) is read with the onnx package and
turned into a torch module node by node (Conv, BatchNormalization, Relu, Clip, Add, Mul, pools, Flatten, Gemm,
MatMul, Sigmoid, Softmax, Concat, Reshape, Identity, ConvTranspose, Constant): the weights are the file's, so both
engines run the same numbers (checked on the zoo's resnet18 and mobilenet_v2: within 8e-5 of FoldRT's outputs). Timing follows `foldrt bench`: warm-up, then timed passes in interleaved rounds whose order of sides
rotates each round; CUDA events on the GPU, perf_counter on the CPU; median, p90, p99, mean; speedup = median
eager / median fused with a 95% percentile-bootstrap CI over paired passes (ratio of medians, 2000 resamples).
The table has the layout of `foldrt bench`; --json writes the same format (foldrt-bench/2), so
`foldrt bench-report` renders it next to FoldRT's results.

  python3 bench/pytorch/compare.py bench/onnx/resnet18.onnx bench/onnx/resnet50.onnx --batch 1,8,32 --device cuda
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

FORMAT = "foldrt-bench/2"
CI_METHOD = ("percentile bootstrap over paired timed passes (the i-th pass of each side comes from the same round); "
             "statistic: ratio of medians")


# ---------------------------------------------------------------------------------------------------------------
# ONNX -> torch
# ---------------------------------------------------------------------------------------------------------------

def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _same_pads(pads):
    """ONNX pads [top, left, bottom, right] -> torch padding (h, w), or None when asymmetric."""
    if not pads:
        return (0, 0)
    top, left, bottom, right = pads
    return (top, left) if (top, left) == (bottom, right) else None


class AnyRankBatchNorm(nn.modules.batchnorm._BatchNorm):
    """Inference BatchNorm over axis 1 of an input of any rank (ONNX's BatchNormalization): the same kernels as
    nn.BatchNorm1d/2d (cuDNN on the GPU), and what fuse_conv_bn_eval accepts."""

    def _check_input_dim(self, x):
        if x.dim() < 2:
            raise ValueError(f"BatchNorm needs an input of rank 2 or more, got {x.dim()}")


SUPPORTED = {"Constant", "Conv", "BatchNormalization", "Gemm", "Relu", "Clip", "Sigmoid", "Add", "Mul", "MatMul", "Identity",
             "Flatten", "Reshape", "GlobalAveragePool", "MaxPool", "AveragePool", "Softmax", "Concat", "ConvTranspose"}


class OnnxModule(nn.Module):
    """Runs an ONNX graph's nodes in order with torch modules and functions. With fold=True every Conv whose only
    reader is a BatchNormalization becomes fuse_conv_bn_eval(conv, bn) and the BatchNorm is skipped."""

    def __init__(self, model, fold):
        super().__init__()
        g = model.graph
        unsupported = sorted({n.op_type for n in g.node} - SUPPORTED)
        if unsupported:
            raise ValueError(f"operators {', '.join(unsupported)} are not supported by this converter "
                             f"(supported: {', '.join(sorted(SUPPORTED))})")
        self.inits = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in g.initializer}
        init_names = set(self.inits)
        self.input_names = [i.name for i in g.input if i.name not in init_names]
        self.output_names = [o.name for o in g.output]
        readers = {}
        for n in g.node:
            for i in n.input:
                readers.setdefault(i, []).append(n)
        self.steps = []          # (kind, node outputs, inputs, payload)
        self.mods = nn.ModuleDict()
        skip, rename = set(), {}
        for n in g.node:
            if id(n) in skip:
                continue
            op, a = n.op_type, _attrs(n)
            key = f"m{len(self.mods)}"
            if op == "Constant":  # a weight or shape written as a node: treat it as an initializer
                self.inits[n.output[0]] = torch.from_numpy(numpy_helper.to_array(a["value"]).copy())
                continue
            if op == "Conv":
                conv = self._conv(n, a)
                r = readers.get(n.output[0], [])
                if fold and len(r) == 1 and r[0].op_type == "BatchNormalization" and n.output[0] not in self.output_names:
                    bn = self._bn(r[0], _attrs(r[0]))
                    conv = fuse_conv_bn_eval(conv.eval(), bn.eval())
                    skip.add(id(r[0]))
                    rename[n.output[0]] = r[0].output[0]
                self.mods[key] = conv
                self.steps.append(("mod", [rename.get(n.output[0], n.output[0])], [n.input[0]], key))
            elif op == "BatchNormalization":
                self.mods[key] = self._bn(n, a)
                self.steps.append(("mod", [n.output[0]], [n.input[0]], key))
            elif op == "Gemm":
                self.mods[key] = self._gemm(n, a)
                self.steps.append(("mod", [n.output[0]], [n.input[0]], key))
            else:
                self.steps.append(("fn", list(n.output), list(n.input), (op, a)))
        # Weights live in the modules now; keep only initializers that functions read (shapes, MatMul weights).
        used = {i for kind, _, ins, _ in self.steps if kind == "fn" for i in ins}
        self._consts = {k: v for k, v in self.inits.items() if k in used}
        for i, (k, v) in enumerate(self._consts.items()):
            self.register_buffer(f"c{i}", v)
        self._const_keys = list(self._consts)
        del self.inits

    def _conv(self, n, a):
        w = self.inits[n.input[1]]
        b = self.inits[n.input[2]] if len(n.input) > 2 and n.input[2] else None
        pads = _same_pads(a.get("pads"))
        if pads is None or a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
            raise ValueError(f"Conv {n.name}: asymmetric or auto padding is not supported by this converter")
        group = a.get("group", 1)
        conv = nn.Conv2d(w.shape[1] * group, w.shape[0], tuple(w.shape[2:]), stride=tuple(a.get("strides", (1, 1))),
                         padding=pads, dilation=tuple(a.get("dilations", (1, 1))), groups=group, bias=b is not None)
        with torch.no_grad():
            conv.weight.copy_(w)
            if b is not None:
                conv.bias.copy_(b)
        return conv

    def _bn(self, n, a):
        scale, bias, mean, var = (self.inits[i] for i in n.input[1:5])
        bn = AnyRankBatchNorm(scale.shape[0], eps=a.get("epsilon", 1e-5))
        with torch.no_grad():
            bn.weight.copy_(scale)
            bn.bias.copy_(bias)
            bn.running_mean.copy_(mean)
            bn.running_var.copy_(var)
        return bn.eval()

    def _gemm(self, n, a):
        w = self.inits[n.input[1]]
        if a.get("transA", 0) or a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
            raise ValueError(f"Gemm {n.name}: only alpha = beta = 1 and transA = 0 are supported")
        if not a.get("transB", 0):
            w = w.t()
        lin = nn.Linear(w.shape[1], w.shape[0], bias=len(n.input) > 2 and bool(n.input[2]))
        with torch.no_grad():
            lin.weight.copy_(w)
            if lin.bias is not None:
                lin.bias.copy_(self.inits[n.input[2]].reshape(-1))
        return lin

    def forward(self, *xs):
        v = dict(zip(self.input_names, xs))
        for i, k in enumerate(self._const_keys):
            v[k] = getattr(self, f"c{i}")
        for kind, outs, ins, payload in self.steps:
            if kind == "mod":
                v[outs[0]] = self.mods[payload](v[ins[0]])
            else:
                r = _apply(payload[0], payload[1], [v[i] if i else None for i in ins])
                for o, t in zip(outs, r if isinstance(r, tuple) else (r,)):
                    v[o] = t
        return tuple(v[o] for o in self.output_names)


def _apply(op, a, x):
    if op == "Relu":
        return F.relu(x[0])
    if op == "Clip":
        lo = x[1].item() if len(x) > 1 and x[1] is not None else a.get("min", float("-inf"))
        hi = x[2].item() if len(x) > 2 and x[2] is not None else a.get("max", float("inf"))
        return torch.clamp(x[0], lo, hi)
    if op == "Sigmoid":
        return torch.sigmoid(x[0])
    if op == "Add":
        return x[0] + x[1]
    if op == "Mul":
        return x[0] * x[1]
    if op == "MatMul":
        return torch.matmul(x[0], x[1])
    if op == "Identity":
        return x[0]
    if op == "Flatten":
        return torch.flatten(x[0], a.get("axis", 1))
    if op == "Reshape":
        shape = [int(s) for s in x[1].tolist()]
        return x[0].reshape([x[0].shape[i] if s == 0 else s for i, s in enumerate(shape)])
    if op == "GlobalAveragePool":
        return torch.mean(x[0], dim=(2, 3), keepdim=True)
    if op in ("MaxPool", "AveragePool"):
        pads = _same_pads(a.get("pads"))
        if pads is None:
            raise ValueError(f"{op}: asymmetric padding is not supported by this converter")
        k, s = tuple(a["kernel_shape"]), tuple(a.get("strides", (1, 1)))
        ceil = bool(a.get("ceil_mode", 0))
        if op == "MaxPool":
            return F.max_pool2d(x[0], k, s, pads, tuple(a.get("dilations", (1, 1))), ceil_mode=ceil)
        return F.avg_pool2d(x[0], k, s, pads, ceil_mode=ceil, count_include_pad=bool(a.get("count_include_pad", 0)))
    if op == "Softmax":
        return torch.softmax(x[0], a.get("axis", -1))
    if op == "Concat":
        return torch.cat([t for t in x if t is not None], a["axis"])
    if op == "ConvTranspose":
        pads = _same_pads(a.get("pads"))
        if pads is None or a.get("output_shape"):
            raise ValueError("ConvTranspose: asymmetric padding or output_shape is not supported by this converter")
        return F.conv_transpose2d(x[0], x[1], x[2] if len(x) > 2 else None, tuple(a.get("strides", (1, 1))), pads,
                                  tuple(a.get("output_padding", (0, 0))), a.get("group", 1),
                                  tuple(a.get("dilations", (1, 1))))
    raise ValueError(f"operator {op} is not supported by this converter")


# ---------------------------------------------------------------------------------------------------------------
# timing
# ---------------------------------------------------------------------------------------------------------------

class Side:
    """One timed configuration: a callable that runs a forward pass on fixed inputs."""

    def __init__(self, name, description, fn, device):
        self.name, self.description, self.fn, self.device = name, description, fn, device

    def time(self, warmup, iters):
        for _ in range(warmup):
            self.fn()
        if self.device.type == "cuda":
            torch.cuda.synchronize()
            ev = [torch.cuda.Event(enable_timing=True) for _ in range(iters + 1)]
            ev[0].record()
            for i in range(iters):
                self.fn()
                ev[i + 1].record()
            ev[-1].synchronize()
            return [ev[i].elapsed_time(ev[i + 1]) for i in range(iters)]
        out = []
        for _ in range(iters):
            t0 = time.perf_counter()
            self.fn()
            out.append((time.perf_counter() - t0) * 1e3)
        return out


def cuda_graph(module, xs):
    """Captures one forward pass of module on static inputs xs; returns a replay function."""
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(3):
            module(*xs)
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        static_out = module(*xs)
    return graph.replay, static_out


def stats(v):
    v = np.asarray(v, dtype=np.float64)
    p = np.percentile(v, [50, 90, 99])  # linear interpolation, as foldrt bench
    return {"samples": int(v.size), "median_ms": p[0], "p90_ms": p[1], "p99_ms": p[2], "mean_ms": float(v.mean()),
            "min_ms": float(v.min()), "max_ms": float(v.max())}


def ratio_ci(a, b, resamples, seed, level=0.95):
    a, b = np.asarray(a), np.asarray(b)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, a.size, size=(resamples, a.size))
    r = np.sort(np.median(a[idx], axis=1) / np.median(b[idx], axis=1))
    tail = (1 - level) / 2 * 100
    return {"value": float(np.median(a) / np.median(b)), "ci_low": float(np.percentile(r, tail)),
            "ci_high": float(np.percentile(r, 100 - tail))}


def bench_case(path, model_proto, batch, device, args, progress):
    name = os.path.splitext(os.path.basename(path))[0]
    eager = OnnxModule(model_proto, fold=False).to(device).eval()
    fused = OnnxModule(model_proto, fold=True).to(device).eval()
    rng = np.random.default_rng(args.seed)
    xs = []
    for i in model_proto.graph.input:
        if i.name in {t.name for t in model_proto.graph.initializer}:
            continue
        dims = [d.dim_value if d.dim_value > 0 else batch for d in i.type.tensor_type.shape.dim]
        dims[0] = batch
        xs.append(torch.from_numpy(rng.uniform(-1, 1, size=dims).astype(np.float32)).to(device))
    sides = []
    with torch.inference_mode():
        ref = [t.detach().clone() for t in eager(*xs)]
        diffs = {"folded": max(float((o - r).abs().max()) for o, r in zip(fused(*xs), ref))}
        sides.append(Side("separate", "PyTorch eager, BatchNorm as its own op"
                          + (" (cuDNN)" if device.type == "cuda" else ""), lambda: eager(*xs), device))
        sides.append(Side("folded", "PyTorch eager, torch.nn.utils.fusion.fuse_conv_bn_eval", lambda: fused(*xs),
                          device))
    if device.type == "cuda" and not args.no_graphs:
        with torch.inference_mode():
            for label, mod in (("separate+graph", eager), ("folded+graph", fused)):
                replay, out = cuda_graph(mod, xs)
                replay()
                torch.cuda.synchronize()
                diffs[label] = max(float((o - r).abs().max()) for o, r in zip(out, ref))
                sides.append(Side(label, ("fused" if "folded" in label else "eager") + " module replayed as a CUDA graph",
                                  replay, device))
    elif device.type != "cuda":
        progress("CUDA graphs skipped: the device is " + device.type)
    k, rounds = len(sides), min(args.rounds, args.iters)
    progress(f"bench {name} on {describe(device)}: batch {batch}, {args.warmup} warm-up and {args.iters} timed passes "
             f"per side in {rounds} rounds; sides {', '.join(s.name for s in sides)}")
    samples = [[] for _ in sides]
    with torch.inference_mode():
        for r in range(rounds):
            n = args.iters // rounds + (1 if r < args.iters % rounds else 0)
            warm = args.warmup if r == 0 else min(1, args.warmup)
            got = [None] * k
            for j in range(k):
                i = (r + j) % k
                got[i] = sides[i].time(warm, n)
            for i in range(k):
                samples[i].extend(got[i])
            progress(f"round {r + 1}/{rounds}: " + ", ".join(
                f"{s.name} {np.median(g):.3f} ms" for s, g in zip(sides, got)) + " (medians)")
    return {
        "model": name, "batch": batch, "device": describe(device),
        "sides": [dict(name=s.name, description=s.description, **stats(v), trial_medians_ms=[float(np.median(v))],
                       samples_ms=[float(x) for x in v]) for s, v in zip(sides, samples)],
        "speedup": ratio_ci(samples[0], samples[1], args.bootstrap, args.seed + batch),
        "peer_ratios": [],
        "output_max_abs_diff": diffs,
        "batchnorm_nodes_separate": sum(n.op_type == "BatchNormalization" for n in model_proto.graph.node),
        "fold": {"engine": "torch.nn.utils.fusion.fuse_conv_bn_eval"},
    }


def describe(device):
    if device.type == "cuda":
        return f"cuda:{device.index or 0} {torch.cuda.get_device_name(device)} (PyTorch {torch.__version__})"
    n = torch.get_num_threads()
    return f"cpu ({n} thread{'s' if n != 1 else ''}, PyTorch {torch.__version__})"


def machine(command):
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        load = " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        load = "unknown"
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    cudnn = torch.backends.cudnn.version() if torch.cuda.is_available() else None
    return {"cpu": cpu, "cores": os.cpu_count(), "java": f"Python {platform.python_version()}, PyTorch {torch.__version__}"
            + (f", CUDA {torch.version.cuda}, cuDNN {cudnn}" if cudnn else ""),
            "os": f"{platform.system()} {platform.release()} {platform.machine()}", "load_average": load,
            "date": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
            "command": command, "commit": os.environ.get("FOLDRT_GIT_COMMIT") or commit or "unknown"}


def print_case(c, out=sys.stdout):
    sep = next(s for s in c["sides"] if s["name"] == "separate")
    print(f"{c['model']}, batch {c['batch']}, on {c['device']} ({sep['samples']} timed passes per side)", file=out)
    print(f"{'latency (ms)':<14} {'median':>10} {'p90':>10} {'p99':>10} {'mean':>10}", file=out)
    for s in c["sides"]:
        label = "separate BN" if s["name"] == "separate" else s["name"]
        print(f"{label:<14} {s['median_ms']:>10.3f} {s['p90_ms']:>10.3f} {s['p99_ms']:>10.3f} {s['mean_ms']:>10.3f}",
              file=out)
    sp = c["speedup"]
    print(f"speedup        {sp['value']:.2f}x (median separate / median folded), 95% CI "
          f"{sp['ci_low']:.2f}-{sp['ci_high']:.2f}", file=out)
    print("max error      outputs on the bench input differ from separate by "
          + ", ".join(f"{k} {v:.1e}" for k, v in c["output_max_abs_diff"].items()), file=out)


def positive_ints(text):
    try:
        v = [int(x) for x in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got '{text}'")
    if not v or min(v) < 1:
        raise argparse.ArgumentTypeError(f"batch sizes must be at least 1, got '{text}'")
    return v


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("onnx", nargs="+", help="ONNX files (e.g. exported by bench/gpu-run)")
    p.add_argument("--batch", type=positive_ints, default=[1], help="batch sizes, e.g. 1,8,32 (default 1)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu", help="cuda, cuda:N or cpu")
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--iters", type=int, default=50)
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--bootstrap", type=int, default=2000)
    p.add_argument("--threads", type=int, default=0, help="CPU threads for torch (default: torch's own)")
    p.add_argument("--no-graphs", action="store_true", help="leave out the CUDA-graph sides")
    p.add_argument("--json", help="also write the results as JSON (foldrt-bench/2)")
    args = p.parse_args(argv)
    for name, v, lo in (("--iters", args.iters, 1), ("--rounds", args.rounds, 1), ("--warmup", args.warmup, 0),
                        ("--bootstrap", args.bootstrap, 1)):
        if v < lo:
            p.error(f"{name} must be at least {lo}, got {v}")
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda: PyTorch sees no CUDA device here")
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    if args.json and not os.path.isdir(os.path.dirname(os.path.abspath(args.json))):
        p.error(f"--json {args.json}: directory does not exist")
    torch.backends.cudnn.benchmark = True
    models = []
    for path in args.onnx:
        if not os.path.isfile(path):
            p.error(f"{path}: no such file")
        proto = onnx.load(path)
        try:
            OnnxModule(proto, fold=False)
        except ValueError as e:
            p.error(f"{path}: {e}")
        models.append((path, proto))

    def progress(line):
        print("  " + line, file=sys.stderr, flush=True)

    cases = []
    for path, proto in models:
        for b in args.batch:
            c = bench_case(path, proto, b, device, args, progress)
            print_case(c)
            cases.append(c)
    if args.json:
        command = os.environ.get("FOLDRT_COMMAND") or "python3 " + " ".join(sys.argv)
        doc = {"format": FORMAT, "machine": machine(command),
               "config": {"engine": "PyTorch", "device": describe(device), "threads": torch.get_num_threads(),
                          "batches": args.batch,
                          "warmup": args.warmup, "iters": args.iters, "rounds": min(args.rounds, args.iters),
                          "trials": 1, "seed": args.seed, "peers": [],
                          "ci": {"method": CI_METHOD, "level": 0.95, "resamples": args.bootstrap}},
               "results": cases}
        tmp = args.json + ".tmp"
        try:
            with open(tmp, "w") as f:
                json.dump(doc, f, indent=2)
                f.write("\n")
            os.replace(tmp, args.json)  # atomic: a failed run leaves no partial file
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        print("wrote " + args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
