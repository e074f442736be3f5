package io.foldrt.nativebind;

import java.util.Map;

/**
 * Names of {@code cudnnStatus_t} values. cuDNN 9 renumbered every code (0..14 in 8.x became 0 and the
 * 1000/2000/3000/4000/5000 groups); which table applies follows {@code cudnnGetVersion()}.
 */
public final class CudnnStatus {
    private CudnnStatus() {}

    /** cuDNN 9's grouping of codes, applied to cuDNN 8 codes too so that callers need one rule. */
    public enum Category { SUCCESS, NOT_INITIALIZED, BAD_PARAM, NOT_SUPPORTED, INTERNAL_ERROR, EXECUTION_FAILED, OTHER }

    private static final Map<Integer, String> V8 = Map.ofEntries(
            Map.entry(0, "CUDNN_STATUS_SUCCESS"),
            Map.entry(1, "CUDNN_STATUS_NOT_INITIALIZED"),
            Map.entry(2, "CUDNN_STATUS_ALLOC_FAILED"),
            Map.entry(3, "CUDNN_STATUS_BAD_PARAM"),
            Map.entry(4, "CUDNN_STATUS_INTERNAL_ERROR"),
            Map.entry(5, "CUDNN_STATUS_INVALID_VALUE"),
            Map.entry(6, "CUDNN_STATUS_ARCH_MISMATCH"),
            Map.entry(7, "CUDNN_STATUS_MAPPING_ERROR"),
            Map.entry(8, "CUDNN_STATUS_EXECUTION_FAILED"),
            Map.entry(9, "CUDNN_STATUS_NOT_SUPPORTED"),
            Map.entry(10, "CUDNN_STATUS_LICENSE_ERROR"),
            Map.entry(11, "CUDNN_STATUS_RUNTIME_PREREQUISITE_MISSING"),
            Map.entry(12, "CUDNN_STATUS_RUNTIME_IN_PROGRESS"),
            Map.entry(13, "CUDNN_STATUS_RUNTIME_FP_OVERFLOW"),
            Map.entry(14, "CUDNN_STATUS_VERSION_MISMATCH"));

    private static final Map<Integer, String> V9 = Map.ofEntries(
            Map.entry(0, "CUDNN_STATUS_SUCCESS"),
            Map.entry(1001, "CUDNN_STATUS_NOT_INITIALIZED"),
            Map.entry(1002, "CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH"),
            Map.entry(1003, "CUDNN_STATUS_SERIALIZATION_VERSION_MISMATCH"),
            Map.entry(1004, "CUDNN_STATUS_DEPRECATED"),
            Map.entry(1005, "CUDNN_STATUS_LICENSE_ERROR"),
            Map.entry(1006, "CUDNN_STATUS_RUNTIME_IN_PROGRESS"),
            Map.entry(1007, "CUDNN_STATUS_RUNTIME_FP_OVERFLOW"),
            Map.entry(1008, "CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED"),
            Map.entry(2000, "CUDNN_STATUS_BAD_PARAM"),
            Map.entry(2001, "CUDNN_STATUS_INVALID_VALUE"),
            Map.entry(2002, "CUDNN_STATUS_BAD_PARAM_NULL_POINTER"),
            Map.entry(2003, "CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER"),
            Map.entry(2004, "CUDNN_STATUS_BAD_PARAM_NOT_FINALIZED"),
            Map.entry(2005, "CUDNN_STATUS_BAD_PARAM_OUT_OF_BOUND"),
            Map.entry(2006, "CUDNN_STATUS_BAD_PARAM_SIZE_INSUFFICIENT"),
            Map.entry(2007, "CUDNN_STATUS_BAD_PARAM_STREAM_MISMATCH"),
            Map.entry(2008, "CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH"),
            Map.entry(2009, "CUDNN_STATUS_BAD_PARAM_DUPLICATED_ENTRIES"),
            Map.entry(2010, "CUDNN_STATUS_BAD_PARAM_ATTRIBUTE_TYPE"),
            Map.entry(2011, "CUDNN_STATUS_BAD_PARAM_CUDA_GRAPH_MISMATCH"),
            Map.entry(2012, "CUDNN_STATUS_BAD_PARAM_DESCRIPTOR_TYPE"),
            Map.entry(3000, "CUDNN_STATUS_NOT_SUPPORTED"),
            Map.entry(3001, "CUDNN_STATUS_NOT_SUPPORTED_GRAPH_PATTERN"),
            Map.entry(3002, "CUDNN_STATUS_NOT_SUPPORTED_SHAPE"),
            Map.entry(3003, "CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE"),
            Map.entry(3004, "CUDNN_STATUS_NOT_SUPPORTED_LAYOUT"),
            Map.entry(3005, "CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDA_DRIVER"),
            Map.entry(3006, "CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDART"),
            Map.entry(3007, "CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH"),
            Map.entry(3008, "CUDNN_STATUS_NOT_SUPPORTED_RUNTIME_PREREQUISITE_MISSING"),
            Map.entry(3009, "CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE"),
            Map.entry(3010, "CUDNN_STATUS_NOT_SUPPORTED_SHARED_MEMORY_INSUFFICIENT"),
            Map.entry(3011, "CUDNN_STATUS_NOT_SUPPORTED_PADDING"),
            Map.entry(3012, "CUDNN_STATUS_NOT_SUPPORTED_BAD_LAUNCH_PARAM"),
            Map.entry(3013, "CUDNN_STATUS_NOT_SUPPORTED_CUDA_GRAPH_NATIVE_API"),
            Map.entry(3014, "CUDNN_STATUS_NOT_SUPPORTED_INVALID_DYNAMIC_SHAPE"),
            Map.entry(4000, "CUDNN_STATUS_INTERNAL_ERROR"),
            Map.entry(4001, "CUDNN_STATUS_INTERNAL_ERROR_COMPILATION_FAILED"),
            Map.entry(4002, "CUDNN_STATUS_INTERNAL_ERROR_UNEXPECTED_VALUE"),
            Map.entry(4003, "CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED"),
            Map.entry(4004, "CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED"),
            Map.entry(4005, "CUDNN_STATUS_INTERNAL_ERROR_BAD_LAUNCH_PARAM"),
            Map.entry(4006, "CUDNN_STATUS_INTERNAL_ERROR_TEXTURE_CREATION_FAILED"),
            Map.entry(5000, "CUDNN_STATUS_EXECUTION_FAILED"),
            Map.entry(5001, "CUDNN_STATUS_EXECUTION_FAILED_CUDA_DRIVER"),
            Map.entry(5002, "CUDNN_STATUS_EXECUTION_FAILED_CUBLAS"),
            Map.entry(5003, "CUDNN_STATUS_EXECUTION_FAILED_CUDART"),
            Map.entry(5004, "CUDNN_STATUS_EXECUTION_FAILED_CURAND"));

    /** True when a {@code cudnnGetVersion()} value belongs to cuDNN 9 or later (major*10000+...). */
    public static boolean usesV9Numbering(long cudnnVersion) {
        // cuDNN 8 reports major*1000+minor*100+patch (8907 for 8.9.7), cuDNN 9 major*10000+... (90600).
        return cudnnVersion >= 90000;
    }

    public static String name(int code, boolean v9) {
        String n = (v9 ? V9 : V8).get(code);
        return n != null ? n : "CUDNN_STATUS_UNKNOWN_" + code;
    }

    public static Category category(int code, boolean v9) {
        if (code == 0) return Category.SUCCESS;
        if (v9) {
            return switch (code / 1000 * 1000) { // CUDNN_STATUS_CATEGORY
                case 1000 -> code == 1001 ? Category.NOT_INITIALIZED : Category.OTHER;
                case 2000 -> Category.BAD_PARAM;
                case 3000 -> Category.NOT_SUPPORTED;
                case 4000 -> Category.INTERNAL_ERROR;
                case 5000 -> Category.EXECUTION_FAILED;
                default -> Category.OTHER;
            };
        }
        return switch (code) {
            case 1 -> Category.NOT_INITIALIZED;
            case 3, 5 -> Category.BAD_PARAM;          // INVALID_VALUE became a BAD_PARAM code in 9
            case 6, 9, 11 -> Category.NOT_SUPPORTED;  // ARCH_MISMATCH, RUNTIME_PREREQUISITE_MISSING likewise
            case 2, 4, 7 -> Category.INTERNAL_ERROR;  // ALLOC_FAILED, MAPPING_ERROR likewise
            case 8 -> Category.EXECUTION_FAILED;
            default -> Category.OTHER;
        };
    }
}
