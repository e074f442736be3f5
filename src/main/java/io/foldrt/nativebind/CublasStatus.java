package io.foldrt.nativebind;

import java.util.Map;

/** Names of {@code cublasStatus_t} values (identical in cuBLAS 12 and 13). */
public final class CublasStatus {
    private CublasStatus() {}

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(0, "CUBLAS_STATUS_SUCCESS"),
            Map.entry(1, "CUBLAS_STATUS_NOT_INITIALIZED"),
            Map.entry(3, "CUBLAS_STATUS_ALLOC_FAILED"),
            Map.entry(7, "CUBLAS_STATUS_INVALID_VALUE"),
            Map.entry(8, "CUBLAS_STATUS_ARCH_MISMATCH"),
            Map.entry(11, "CUBLAS_STATUS_MAPPING_ERROR"),
            Map.entry(13, "CUBLAS_STATUS_EXECUTION_FAILED"),
            Map.entry(14, "CUBLAS_STATUS_INTERNAL_ERROR"),
            Map.entry(15, "CUBLAS_STATUS_NOT_SUPPORTED"),
            Map.entry(16, "CUBLAS_STATUS_LICENSE_ERROR"));

    public static String name(int code) {
        return NAMES.getOrDefault(code, "CUBLAS_STATUS_UNKNOWN_" + code);
    }
}
