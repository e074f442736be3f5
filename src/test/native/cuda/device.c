/*
 * device.c - cuInit, the driver version and the one emulated device (an H100-like part).
 */
#include <stdio.h>
#include <string.h>
#include "emu_cuda.h"

static int g_init;
int emu_initialized(void) { return g_init; }

EMU_EXPORT CUresult cuInit(unsigned int flags) {
    int f = emu_enter("cuInit");
    if (f) return f;
    if (flags != 0) return CUDA_ERROR_INVALID_VALUE; /* "Flags must be 0" */
    emu_lock();
    if (!g_init) {
        emu_install_fault_handler();
        g_init = 1;
    }
    emu_unlock();
    return CUDA_SUCCESS;
}

/* Allowed before cuInit, as in the real driver. */
EMU_EXPORT CUresult cuDriverGetVersion(int *version) {
    EMU_ENTER_OR_FAIL("cuDriverGetVersion");
    if (!version) return CUDA_ERROR_INVALID_VALUE;
    *version = emu_driver_version();
    return CUDA_SUCCESS;
}

#define REQUIRE_INIT() do { if (!g_init) return CUDA_ERROR_NOT_INITIALIZED; } while (0)
#define CHECK_DEV(d) do { if ((d) != 0) return CUDA_ERROR_INVALID_DEVICE; } while (0)

EMU_EXPORT CUresult cuDeviceGetCount(int *count) {
    EMU_ENTER_OR_FAIL("cuDeviceGetCount");
    REQUIRE_INIT();
    if (!count) return CUDA_ERROR_INVALID_VALUE;
    *count = 1;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuDeviceGet(CUdevice *device, int ordinal) {
    EMU_ENTER_OR_FAIL("cuDeviceGet");
    REQUIRE_INIT();
    if (!device) return CUDA_ERROR_INVALID_VALUE;
    if (ordinal != 0) return CUDA_ERROR_INVALID_DEVICE;
    *device = 0;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuDeviceGetName(char *name, int len, CUdevice dev) {
    EMU_ENTER_OR_FAIL("cuDeviceGetName");
    REQUIRE_INIT();
    CHECK_DEV(dev);
    if (!name || len <= 0) return CUDA_ERROR_INVALID_VALUE;
    snprintf(name, (size_t) len, "%s", "NVIDIA H100 80GB HBM3 (FoldRT emulator)");
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice dev) {
    EMU_ENTER_OR_FAIL("cuDeviceTotalMem_v2");
    REQUIRE_INIT();
    CHECK_DEV(dev);
    if (!bytes) return CUDA_ERROR_INVALID_VALUE;
    *bytes = (size_t) EMU_TOTAL_MEM;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuDeviceGetUuid(unsigned char *uuid, CUdevice dev) {
    EMU_ENTER_OR_FAIL("cuDeviceGetUuid");
    REQUIRE_INIT();
    CHECK_DEV(dev);
    if (!uuid) return CUDA_ERROR_INVALID_VALUE;
    memcpy(uuid, "FoldRT-emu-dev-0", 16);
    return CUDA_SUCCESS;
}
EMU_EXPORT CUresult cuDeviceGetUuid_v2(unsigned char *uuid, CUdevice dev) { return cuDeviceGetUuid(uuid, dev); }

/* Attribute values of an H100 SXM5 (compute capability 9.0, 132 SMs). Numbers are the
 * CUdevice_attribute enum of cuda.h. Attributes not listed read as 0, like "unsupported feature". */
static int attribute_value(int attr, int *value) {
    switch (attr) {
    case 1: *value = 1024; return 1;          /* MAX_THREADS_PER_BLOCK */
    case 2: case 3: *value = 1024; return 1;  /* MAX_BLOCK_DIM_X/Y */
    case 4: *value = 64; return 1;            /* MAX_BLOCK_DIM_Z */
    case 5: *value = 2147483647; return 1;    /* MAX_GRID_DIM_X */
    case 6: case 7: *value = 65535; return 1; /* MAX_GRID_DIM_Y/Z */
    case 8: *value = 49152; return 1;         /* MAX_SHARED_MEMORY_PER_BLOCK */
    case 9: *value = 65536; return 1;         /* TOTAL_CONSTANT_MEMORY */
    case 10: *value = 32; return 1;           /* WARP_SIZE */
    case 11: *value = 2147483647; return 1;   /* MAX_PITCH */
    case 12: *value = 65536; return 1;        /* MAX_REGISTERS_PER_BLOCK */
    case 13: *value = 1980000; return 1;      /* CLOCK_RATE kHz */
    case 14: *value = 512; return 1;          /* TEXTURE_ALIGNMENT */
    case 15: *value = 1; return 1;            /* GPU_OVERLAP */
    case 16: *value = 132; return 1;          /* MULTIPROCESSOR_COUNT */
    case 19: *value = 1; return 1;            /* CAN_MAP_HOST_MEMORY */
    case 31: *value = 1; return 1;            /* CONCURRENT_KERNELS */
    case 32: *value = 1; return 1;            /* ECC_ENABLED */
    case 33: *value = 0x18; return 1;         /* PCI_BUS_ID */
    case 36: *value = 2619000; return 1;      /* MEMORY_CLOCK_RATE kHz */
    case 37: *value = 5120; return 1;         /* GLOBAL_MEMORY_BUS_WIDTH */
    case 38: *value = 50 * 1024 * 1024; return 1; /* L2_CACHE_SIZE */
    case 39: *value = 2048; return 1;         /* MAX_THREADS_PER_MULTIPROCESSOR */
    case 40: *value = 3; return 1;            /* ASYNC_ENGINE_COUNT */
    case 41: *value = 1; return 1;            /* UNIFIED_ADDRESSING */
    case 75: *value = 9; return 1;            /* COMPUTE_CAPABILITY_MAJOR */
    case 76: *value = 0; return 1;            /* COMPUTE_CAPABILITY_MINOR */
    case 78: *value = 1; return 1;            /* STREAM_PRIORITIES_SUPPORTED */
    case 81: *value = 233472; return 1;       /* MAX_SHARED_MEMORY_PER_MULTIPROCESSOR */
    case 82: *value = 65536; return 1;        /* MAX_REGISTERS_PER_MULTIPROCESSOR */
    case 83: *value = 1; return 1;            /* MANAGED_MEMORY */
    case 95: *value = 1; return 1;            /* COOPERATIVE_LAUNCH */
    case 97: *value = 232448; return 1;       /* MAX_SHARED_MEMORY_PER_BLOCK_OPTIN */
    case 106: *value = 32; return 1;          /* MAX_BLOCKS_PER_MULTIPROCESSOR */
    case 115: *value = 1; return 1;           /* MEMORY_POOLS_SUPPORTED */
    default:
        if (attr >= 1 && attr < 149) { *value = 0; return 1; }
        return 0;
    }
}

EMU_EXPORT CUresult cuDeviceGetAttribute(int *value, int attrib, CUdevice dev) {
    EMU_ENTER_OR_FAIL("cuDeviceGetAttribute");
    REQUIRE_INIT();
    CHECK_DEV(dev);
    if (!value) return CUDA_ERROR_INVALID_VALUE;
    return attribute_value(attrib, value) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

/* Deprecated but still imported by JCuda. */
EMU_EXPORT CUresult cuDeviceComputeCapability(int *major, int *minor, CUdevice dev) {
    EMU_ENTER_OR_FAIL("cuDeviceComputeCapability");
    REQUIRE_INIT();
    CHECK_DEV(dev);
    if (!major || !minor) return CUDA_ERROR_INVALID_VALUE;
    *major = 9;
    *minor = 0;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuDeviceGetPCIBusId(char *pciBusId, int len, CUdevice dev) {
    EMU_ENTER_OR_FAIL("cuDeviceGetPCIBusId");
    REQUIRE_INIT();
    CHECK_DEV(dev);
    if (!pciBusId || len <= 0) return CUDA_ERROR_INVALID_VALUE;
    snprintf(pciBusId, (size_t) len, "0000:18:00.0");
    return CUDA_SUCCESS;
}
