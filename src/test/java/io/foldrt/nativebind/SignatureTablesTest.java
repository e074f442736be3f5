package io.foldrt.nativebind;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The binding tables against a second transcription, in the facts file's notation (ret(args); I int/enum,
 * J size_t, D double, A pointer/handle), typed from docs/native-api-facts.md §3.1, §5.1, §6.1, §7.1. The
 * backward-data rows are not in the facts file; they follow the cuDNN header prototypes (same argument
 * kinds as the forward calls with the filter first).
 */
class SignatureTablesTest {

    @Test
    void cudnn() {
        Map<String, String> e = new LinkedHashMap<>();
        e.put("cudnnGetVersion", "J()");
        e.put("cudnnGetErrorString", "A(I)");
        e.put("cudnnGetLastErrorString", "void(A,J)");
        e.put("cudnnCreate", "I(A)");
        e.put("cudnnDestroy", "I(A)");
        e.put("cudnnSetStream", "I(A,A)");
        e.put("cudnnCreateTensorDescriptor", "I(A)");
        e.put("cudnnSetTensor4dDescriptor", "I(A,I,I,I,I,I,I)");
        e.put("cudnnDestroyTensorDescriptor", "I(A)");
        e.put("cudnnCreateFilterDescriptor", "I(A)");
        e.put("cudnnSetFilter4dDescriptor", "I(A,I,I,I,I,I,I)");
        e.put("cudnnDestroyFilterDescriptor", "I(A)");
        e.put("cudnnCreateActivationDescriptor", "I(A)");
        e.put("cudnnSetActivationDescriptor", "I(A,I,I,D)");
        e.put("cudnnDestroyActivationDescriptor", "I(A)");
        e.put("cudnnActivationForward", "I(A,A,A,A,A,A,A,A)");
        e.put("cudnnAddTensor", "I(A,A,A,A,A,A,A)");
        e.put("cudnnDeriveBNTensorDescriptor", "I(A,A,I)");
        e.put("cudnnBatchNormalizationForwardInference", "I(A,I,A,A,A,A,A,A,A,A,A,A,A,D)");
        e.put("cudnnSoftmaxForward", "I(A,I,I,A,A,A,A,A,A)");
        e.put("cudnnCreateConvolutionDescriptor", "I(A)");
        e.put("cudnnSetConvolution2dDescriptor", "I(A,I,I,I,I,I,I,I,I)");
        e.put("cudnnSetConvolutionGroupCount", "I(A,I)");
        e.put("cudnnSetConvolutionMathType", "I(A,I)");
        e.put("cudnnDestroyConvolutionDescriptor", "I(A)");
        e.put("cudnnGetConvolution2dForwardOutputDim", "I(A,A,A,A,A,A,A)");
        e.put("cudnnFindConvolutionForwardAlgorithm", "I(A,A,A,A,A,I,A,A)");
        e.put("cudnnGetConvolutionForwardAlgorithm_v7", "I(A,A,A,A,A,I,A,A)");
        e.put("cudnnGetConvolutionForwardWorkspaceSize", "I(A,A,A,A,A,I,A)");
        e.put("cudnnConvolutionForward", "I(A,A,A,A,A,A,A,I,A,J,A,A,A)");
        e.put("cudnnConvolutionBiasActivationForward", "I(A,A,A,A,A,A,A,I,A,J,A,A,A,A,A,A,A,A)");
        e.put("cudnnFindConvolutionBackwardDataAlgorithm", "I(A,A,A,A,A,I,A,A)");
        e.put("cudnnGetConvolutionBackwardDataAlgorithm_v7", "I(A,A,A,A,A,I,A,A)");
        e.put("cudnnGetConvolutionBackwardDataWorkspaceSize", "I(A,A,A,A,A,I,A)");
        e.put("cudnnConvolutionBackwardData", "I(A,A,A,A,A,A,A,I,A,J,A,A,A)");
        assertTable(e, Cudnn.signatures());
    }

    @Test
    void cublas() {
        Map<String, String> e = new LinkedHashMap<>();
        e.put("cublasCreate_v2", "I(A)");
        e.put("cublasDestroy_v2", "I(A)");
        e.put("cublasSetStream_v2", "I(A,A)");
        e.put("cublasGetVersion_v2", "I(A,A)");
        e.put("cublasSetMathMode", "I(A,I)");
        e.put("cublasSetWorkspace_v2", "I(A,A,J)");
        e.put("cublasGetStatusString", "A(I)");
        e.put("cublasSgemm_v2", "I(A,I,I,I,I,I,A,A,I,A,I,A,A,I)");
        e.put("cublasDgemm_v2", "I(A,I,I,I,I,I,A,A,I,A,I,A,A,I)");
        assertTable(e, Cublas.signatures());
        for (String name : Cublas.signatures().keySet()) {
            // The legacy un-suffixed cublasSgemm/cublasDgemm/cublasGetVersion have other signatures: never bind them.
            assertTrue(!name.equals("cublasSgemm") && !name.equals("cublasDgemm") && !name.equals("cublasGetVersion"), name);
        }
    }

    @Test
    void nvrtc() {
        Map<String, String> e = new LinkedHashMap<>();
        e.put("nvrtcVersion", "I(A,A)");
        e.put("nvrtcGetErrorString", "A(I)");
        e.put("nvrtcCreateProgram", "I(A,A,A,I,A,A)");
        e.put("nvrtcCompileProgram", "I(A,I,A)");
        e.put("nvrtcGetPTXSize", "I(A,A)");
        e.put("nvrtcGetPTX", "I(A,A)");
        e.put("nvrtcGetCUBINSize", "I(A,A)");
        e.put("nvrtcGetCUBIN", "I(A,A)");
        e.put("nvrtcGetProgramLogSize", "I(A,A)");
        e.put("nvrtcGetProgramLog", "I(A,A)");
        e.put("nvrtcDestroyProgram", "I(A)");
        assertTable(e, Nvrtc.signatures());
    }

    @Test
    void driver() {
        assertTable(Map.of("cuEventElapsedTime_v2", "I(A,A,A)", "cuEventElapsedTime", "I(A,A,A)"), LibCuda.signatures());
    }

    @Test
    void algoPerfStructIs48BytesWithTheMeasuredOffsets() {
        assertEquals(48, Cudnn.ALGO_PERF.byteSize());
        assertEquals(8, Cudnn.ALGO_PERF.byteAlignment());
        assertEquals(8, Cudnn.ALGO_PERF.byteOffset(MemoryLayout.PathElement.groupElement("time")));
        assertEquals(16, Cudnn.ALGO_PERF.byteOffset(MemoryLayout.PathElement.groupElement("memory")));
        assertEquals(24, Cudnn.ALGO_PERF.byteOffset(MemoryLayout.PathElement.groupElement("determinism")));
        assertEquals(28, Cudnn.ALGO_PERF.byteOffset(MemoryLayout.PathElement.groupElement("mathType")));
        assertEquals(32, Cudnn.ALGO_PERF.byteOffset(MemoryLayout.PathElement.groupElement("reserved")));
    }

    private static void assertTable(Map<String, String> expected, Map<String, FunctionDescriptor> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        for (var e : expected.entrySet()) assertEquals(e.getValue(), notation(actual.get(e.getKey())), e.getKey());
    }

    private static String notation(FunctionDescriptor fd) {
        StringBuilder sb = new StringBuilder(fd.returnLayout().map(SignatureTablesTest::letter).orElse("void"));
        sb.append('(');
        for (int i = 0; i < fd.argumentLayouts().size(); i++) {
            if (i > 0) sb.append(',');
            sb.append(letter(fd.argumentLayouts().get(i)));
        }
        return sb.append(')').toString();
    }

    private static String letter(MemoryLayout l) {
        if (l instanceof AddressLayout) return "A";
        if (l.equals(ValueLayout.JAVA_INT)) return "I";
        if (l.equals(ValueLayout.JAVA_LONG)) return "J";
        if (l.equals(ValueLayout.JAVA_DOUBLE)) return "D";
        if (l.equals(ValueLayout.JAVA_FLOAT)) return "F";
        throw new AssertionError("unexpected layout " + l);
    }
}
