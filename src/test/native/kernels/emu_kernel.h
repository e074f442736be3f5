/*
 * emu_kernel.h - compiles the project's CUDA kernels (.cu) as host C++ for the emulator.
 *
 * Included (g++ -include) before each .cu file. It gives the kernels the CUDA built-ins the project's
 * kernel rules allow: __global__/__device__ qualifiers, the index variables threadIdx / blockIdx /
 * blockDim / gridDim (thread-local, set by the launch loop for every thread of the grid in turn) and
 * the float math intrinsics. Things the rules forbid (__shared__, __syncthreads, warp shuffles,
 * atomics) are deliberately NOT defined, so a kernel using them fails to build for the emulator
 * with an "undeclared" error that names them.
 */
#ifndef EMU_KERNEL_H
#define EMU_KERNEL_H

#include <math.h>
#include <stdint.h>
#include <type_traits>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__
#define __restrict__ __restrict
#define __launch_bounds__(...)

struct uint3 { unsigned int x, y, z; };
struct dim3 { unsigned int x, y, z; };

extern thread_local uint3 threadIdx;
extern thread_local uint3 blockIdx;
extern thread_local dim3 blockDim;
extern thread_local dim3 gridDim;
static const int warpSize = 32;

/* CUDA device math used by simple kernels (CUDA Math API names, host implementations). */
static inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
static inline double rsqrt(double x) { return 1.0 / sqrt(x); }
static inline float __fdividef(float a, float b) { return a / b; }
/* __expf and __logf: glibc declares (and libm exports) functions of those names already. */
static inline float __frsqrt_rn(float x) { return 1.0f / sqrtf(x); }
static inline float __fsqrt_rn(float x) { return sqrtf(x); }
static inline float __fmul_rn(float a, float b) { return a * b; }
static inline float __fadd_rn(float a, float b) { return a + b; }
static inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
static inline float __saturatef(float x) { return x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x); }
static inline double __dsqrt_rn(double x) { return sqrt(x); }
static inline float __int_as_float(int i) { union { int i; float f; } u; u.i = i; return u.f; }
static inline int __float_as_int(float f) { union { int i; float f; } u; u.f = f; return u.i; }
static inline int __float2int_rn(float x) { return (int) nearbyintf(x); }
static inline int __float2int_rz(float x) { return (int) x; }
/* CUDA's overloaded min/max for device code. */
static inline int min(int a, int b) { return a < b ? a : b; }
static inline int max(int a, int b) { return a > b ? a : b; }
static inline long long min(long long a, long long b) { return a < b ? a : b; }
static inline long long max(long long a, long long b) { return a > b ? a : b; }
static inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
static inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
static inline float min(float a, float b) { return fminf(a, b); }
static inline float max(float a, float b) { return fmaxf(a, b); }

/* ---- launch support used by the generated trampolines ------------------------------------------ */

/* Kernel parameter kinds the emulator can unpack from cuLaunchKernel's kernelParams (the agreed rule:
 * pointers, int, long long, float, double). Any other parameter type is a build error. */
template <class T> struct emu_always_false : std::false_type {};
template <class T> constexpr char emu_kind_of() {
    typedef typename std::remove_cv<T>::type U;
    if constexpr (std::is_pointer<U>::value) return 'p';
    else if constexpr (std::is_same<U, int>::value || std::is_same<U, unsigned int>::value) return 'i';
    else if constexpr (std::is_same<U, long long>::value || std::is_same<U, unsigned long long>::value) return 'l';
    else if constexpr (std::is_same<U, float>::value) return 'f';
    else if constexpr (std::is_same<U, double>::value) return 'd';
    else static_assert(emu_always_false<T>::value,
                       "kernel parameter type outside the agreed set (pointer, int, long long, float, double)");
    return 0;
}
template <class... A> struct emu_sig { static constexpr char kinds[sizeof...(A) + 1] = {emu_kind_of<A>()..., 0}; };
template <class... A> constexpr const char *emu_kinds_of(void (*)(A...)) { return emu_sig<A...>::kinds; }

/* One kernel argument: converts to whatever parameter type the kernel declares. */
struct emu_arg {
    void *p;
    template <class T> operator T() const { return *static_cast<T *>(p); }
};

struct emu_dim3_c { unsigned x, y, z; }; /* layout of emu_dim3 in emu_cuda.h */

/* Runs `call` once for every thread of the grid, blocks in order, threads in order. */
#define EMU_FOR_EACH_THREAD(g, b, call)                                                          \
    do {                                                                                         \
        gridDim = dim3{(g).x, (g).y, (g).z};                                                     \
        blockDim = dim3{(b).x, (b).y, (b).z};                                                    \
        for (unsigned bz_ = 0; bz_ < (g).z; bz_++)                                               \
            for (unsigned by_ = 0; by_ < (g).y; by_++)                                           \
                for (unsigned bx_ = 0; bx_ < (g).x; bx_++) {                                     \
                    blockIdx = uint3{bx_, by_, bz_};                                             \
                    for (unsigned tz_ = 0; tz_ < (b).z; tz_++)                                   \
                        for (unsigned ty_ = 0; ty_ < (b).y; ty_++)                               \
                            for (unsigned tx_ = 0; tx_ < (b).x; tx_++) {                         \
                                threadIdx = uint3{tx_, ty_, tz_};                                \
                                call;                                                            \
                            }                                                                    \
                }                                                                                \
    } while (0)

#endif
