#!/usr/bin/env bash
# Compiles every kernel source in this folder (*.cu) to PTX: <out_dir>/<name>.ptx, packaged in the jar under
# cuda/. Run by Maven (exec-maven-plugin) as: build-ptx.sh <src_dir> <out_dir>.
#   - Without nvcc on the PATH it does nothing but say so: the jar then carries only the .cu sources and
#     the runtime compiles them with NVRTC for the installed GPU.
#   - With nvcc, a kernel that does not compile fails the build.
# PTX target: compute_75 (Turing, the oldest architecture CUDA 13 supports); the driver JIT-compiles it for
# newer GPUs. PTX from nvcc 13 is ISA 9.x and needs a driver >= 580; older drivers answer
# CUDA_ERROR_UNSUPPORTED_PTX_VERSION and the runtime falls back to NVRTC.
# -fmad=false: no multiply-add contraction, so fold_bn matches the host's float64 fold bit for bit.
# Override the target with FOLDRT_PTX_ARCH (e.g. compute_90).
set -euo pipefail
src_dir=${1:?usage: build-ptx.sh <src_dir> <out_dir>}
out_dir=${2:?usage: build-ptx.sh <src_dir> <out_dir>}

if ! command -v nvcc >/dev/null 2>&1; then
    echo "build-ptx: nvcc is not on the PATH; no PTX built (kernels will be compiled by NVRTC at run time)"
    exit 0
fi

arch=${FOLDRT_PTX_ARCH:-compute_75}
mkdir -p "$out_dir"
for cu in "$src_dir"/*.cu; do
    name=$(basename "$cu" .cu)
    ptx="$out_dir/$name.ptx"
    if [[ -f "$ptx" && "$ptx" -nt "$cu" && "$ptx" -nt "$0" ]]; then
        continue
    fi
    nvcc -ptx -arch="$arch" -fmad=false -o "$ptx.tmp" "$cu"
    mv "$ptx.tmp" "$ptx"
    echo "build-ptx: $name.cu -> $ptx"
done
