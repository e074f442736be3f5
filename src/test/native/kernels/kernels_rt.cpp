// kernels_rt.cpp - storage for the CUDA index built-ins the host-compiled kernels read.
#include "emu_kernel.h"

thread_local uint3 threadIdx;
thread_local uint3 blockIdx;
thread_local dim3 blockDim;
thread_local dim3 gridDim;
