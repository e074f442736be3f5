package io.foldrt.nativebind;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.nativebind.CudnnStatus.Category;
import org.junit.jupiter.api.Test;

/** Status-code mapping for both cuDNN numberings, cuBLAS, NVRTC and the driver. */
class StatusCodesTest {

    @Test
    void versionPicksTheNumbering() {
        assertFalse(CudnnStatus.usesV9Numbering(8907));  // 8.9.7 = 8*1000+9*100+7
        assertFalse(CudnnStatus.usesV9Numbering(8100));
        assertTrue(CudnnStatus.usesV9Numbering(90000));
        assertTrue(CudnnStatus.usesV9Numbering(91900));  // 9.19.0 = 9*10000+19*100
    }

    @Test
    void cudnn8Names() {
        assertEquals("CUDNN_STATUS_SUCCESS", CudnnStatus.name(0, false));
        assertEquals("CUDNN_STATUS_BAD_PARAM", CudnnStatus.name(3, false));
        assertEquals("CUDNN_STATUS_EXECUTION_FAILED", CudnnStatus.name(8, false));
        assertEquals("CUDNN_STATUS_NOT_SUPPORTED", CudnnStatus.name(9, false));
        assertEquals("CUDNN_STATUS_VERSION_MISMATCH", CudnnStatus.name(14, false));
        assertEquals("CUDNN_STATUS_UNKNOWN_2000", CudnnStatus.name(2000, false));
    }

    @Test
    void cudnn9Names() {
        assertEquals("CUDNN_STATUS_NOT_INITIALIZED", CudnnStatus.name(1001, true));
        assertEquals("CUDNN_STATUS_BAD_PARAM", CudnnStatus.name(2000, true));
        assertEquals("CUDNN_STATUS_NOT_SUPPORTED", CudnnStatus.name(3000, true));
        assertEquals("CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH", CudnnStatus.name(3007, true));
        assertEquals("CUDNN_STATUS_INTERNAL_ERROR", CudnnStatus.name(4000, true));
        assertEquals("CUDNN_STATUS_EXECUTION_FAILED", CudnnStatus.name(5000, true));
        assertEquals("CUDNN_STATUS_UNKNOWN_3", CudnnStatus.name(3, true)); // an 8.x code means nothing in 9
    }

    @Test
    void categoriesAgreeAcrossNumberings() {
        assertEquals(Category.BAD_PARAM, CudnnStatus.category(3, false));
        assertEquals(Category.BAD_PARAM, CudnnStatus.category(2000, true));
        assertEquals(Category.BAD_PARAM, CudnnStatus.category(2008, true));
        assertEquals(Category.NOT_SUPPORTED, CudnnStatus.category(9, false));
        assertEquals(Category.NOT_SUPPORTED, CudnnStatus.category(3000, true));
        assertEquals(Category.NOT_SUPPORTED, CudnnStatus.category(3002, true));
        assertEquals(Category.INTERNAL_ERROR, CudnnStatus.category(4, false));
        assertEquals(Category.EXECUTION_FAILED, CudnnStatus.category(5001, true));
        assertEquals(Category.NOT_INITIALIZED, CudnnStatus.category(1001, true));
        assertEquals(Category.SUCCESS, CudnnStatus.category(0, true));
    }

    @Test
    void exceptionsCarryCallCodeNameAndText() {
        var e = new CudnnException("cudnnConvolutionForward", 3000, true, "no kernel\nfor this shape");
        assertEquals("cudnnConvolutionForward", e.call());
        assertEquals(3000, e.code());
        assertEquals("CUDNN_STATUS_NOT_SUPPORTED", e.codeName());
        assertEquals(Category.NOT_SUPPORTED, e.category());
        assertEquals("cudnnConvolutionForward failed: CUDNN_STATUS_NOT_SUPPORTED (3000): no kernel; for this shape",
                e.getMessage());
        var v8 = new CudnnException("cudnnAddTensor", 3, false, null);
        assertEquals("cudnnAddTensor failed: CUDNN_STATUS_BAD_PARAM (3)", v8.getMessage());

        assertEquals("cublasSgemm_v2 failed: CUBLAS_STATUS_INVALID_VALUE (7): an invalid value was used",
                new CublasException("cublasSgemm_v2", 7, "an invalid value was used").getMessage());
        assertEquals("CUBLAS_STATUS_UNKNOWN_99", CublasStatus.name(99));
        assertEquals("NVRTC_ERROR_COMPILATION", new NvrtcException("nvrtcCompileProgram", 6, "log").codeName());
        assertEquals("NVRTC_ERROR_CANCELLED", NvrtcStatus.name(16));
        assertEquals("CUDA_ERROR_UNSUPPORTED_PTX_VERSION", new CudaDriverException("cuModuleLoadData", 222).codeName());
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", new CudaDriverException("cuMemAlloc", 2).codeName());
    }
}
