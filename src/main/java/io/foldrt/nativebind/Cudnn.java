package io.foldrt.nativebind;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * java.lang.foreign binding of the legacy cuDNN API functions FoldRT uses (cuDNN 9, or 8). Each method is one
 * C call that throws {@link CudnnException} on a non-zero status; handles and descriptors are plain
 * {@link MemorySegment} addresses whose ownership lies with the caller. Status numbering (8 vs 9) follows
 * {@code cudnnGetVersion()}.
 */
public final class Cudnn {
    // ---- enum values from the cuDNN headers (identical in 8.9 and 9.x) ----
    public static final int CUDNN_TENSOR_NCHW = 0;
    public static final int CUDNN_DATA_FLOAT = 0;
    public static final int CUDNN_CROSS_CORRELATION = 1;
    public static final int CUDNN_DEFAULT_MATH = 0;
    public static final int CUDNN_FMA_MATH = 3;
    public static final int CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM = 1;
    public static final int CUDNN_CONVOLUTION_FWD_ALGO_COUNT = 8;
    public static final int CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT = 6;
    public static final int CUDNN_ACTIVATION_SIGMOID = 0;
    public static final int CUDNN_ACTIVATION_RELU = 1;
    public static final int CUDNN_ACTIVATION_CLIPPED_RELU = 3;
    public static final int CUDNN_ACTIVATION_IDENTITY = 5;
    public static final int CUDNN_NOT_PROPAGATE_NAN = 0;
    public static final int CUDNN_PROPAGATE_NAN = 1;
    public static final int CUDNN_BATCHNORM_SPATIAL = 1;
    public static final int CUDNN_SOFTMAX_ACCURATE = 1;
    public static final int CUDNN_SOFTMAX_MODE_CHANNEL = 1;

    /**
     * {@code cudnnConvolutionFwdAlgoPerf_t}, also the layout of {@code cudnnConvolutionBwdDataAlgoPerf_t}:
     * 48 bytes, 8-byte aligned (measured with gcc on the real header).
     */
    public static final StructLayout ALGO_PERF = MemoryLayout.structLayout(
            JAVA_INT.withName("algo"),
            JAVA_INT.withName("status"),
            JAVA_FLOAT.withName("time"),
            MemoryLayout.paddingLayout(4),
            JAVA_LONG.withName("memory"),
            JAVA_INT.withName("determinism"),
            JAVA_INT.withName("mathType"),
            MemoryLayout.sequenceLayout(3, JAVA_INT).withName("reserved"),
            MemoryLayout.paddingLayout(4));

    /** One row of an algorithm search result; {@code status} uses the library's numbering. */
    public record AlgoPerf(int algo, int status, float timeMs, long workspaceBytes, int determinism, int mathType) {}

    private static final Map<String, FunctionDescriptor> SIGNATURES;
    static {
        Map<String, FunctionDescriptor> m = new LinkedHashMap<>();
        // libcudnn_graph.so.9
        m.put("cudnnGetVersion", Sig.of("J"));
        m.put("cudnnGetErrorString", Sig.of("AI"));
        m.put("cudnnGetLastErrorString", Sig.of("VAJ")); // cuDNN 9 only: bound when present
        m.put("cudnnCreate", Sig.of("IA"));
        m.put("cudnnDestroy", Sig.of("IA"));
        m.put("cudnnSetStream", Sig.of("IAA"));
        // libcudnn_ops.so.9
        m.put("cudnnCreateTensorDescriptor", Sig.of("IA"));
        m.put("cudnnSetTensor4dDescriptor", Sig.of("IAIIIIII"));
        m.put("cudnnDestroyTensorDescriptor", Sig.of("IA"));
        m.put("cudnnCreateFilterDescriptor", Sig.of("IA"));
        m.put("cudnnSetFilter4dDescriptor", Sig.of("IAIIIIII"));
        m.put("cudnnDestroyFilterDescriptor", Sig.of("IA"));
        m.put("cudnnCreateActivationDescriptor", Sig.of("IA"));
        m.put("cudnnSetActivationDescriptor", Sig.of("IAIID"));
        m.put("cudnnDestroyActivationDescriptor", Sig.of("IA"));
        m.put("cudnnActivationForward", Sig.of("IAAAAAAAA"));
        m.put("cudnnAddTensor", Sig.of("IAAAAAAA"));
        m.put("cudnnDeriveBNTensorDescriptor", Sig.of("IAAI"));
        m.put("cudnnBatchNormalizationForwardInference", Sig.of("IAIAAAAAAAAAAAD"));
        m.put("cudnnSoftmaxForward", Sig.of("IAIIAAAAAA"));
        // libcudnn_cnn.so.9
        m.put("cudnnCreateConvolutionDescriptor", Sig.of("IA"));
        m.put("cudnnSetConvolution2dDescriptor", Sig.of("IAIIIIIIII"));
        m.put("cudnnSetConvolutionGroupCount", Sig.of("IAI"));
        m.put("cudnnSetConvolutionMathType", Sig.of("IAI"));
        m.put("cudnnDestroyConvolutionDescriptor", Sig.of("IA"));
        m.put("cudnnGetConvolution2dForwardOutputDim", Sig.of("IAAAAAAA"));
        m.put("cudnnFindConvolutionForwardAlgorithm", Sig.of("IAAAAAIAA"));
        m.put("cudnnGetConvolutionForwardAlgorithm_v7", Sig.of("IAAAAAIAA"));
        m.put("cudnnGetConvolutionForwardWorkspaceSize", Sig.of("IAAAAAIA"));
        m.put("cudnnConvolutionForward", Sig.of("IAAAAAAAIAJAAA"));
        m.put("cudnnConvolutionBiasActivationForward", Sig.of("IAAAAAAAIAJAAAAAAAA"));
        m.put("cudnnFindConvolutionBackwardDataAlgorithm", Sig.of("IAAAAAIAA"));
        m.put("cudnnGetConvolutionBackwardDataAlgorithm_v7", Sig.of("IAAAAAIAA"));
        m.put("cudnnGetConvolutionBackwardDataWorkspaceSize", Sig.of("IAAAAAIA"));
        m.put("cudnnConvolutionBackwardData", Sig.of("IAAAAAAAIAJAAA"));
        SIGNATURES = Collections.unmodifiableMap(m);
    }

    private static Cudnn instance;

    private final NativeLibraries.Library library;
    private final long version;
    private final boolean v9;
    private final MethodHandle getVersion, getErrorString, create, destroy, setStream;
    private final Optional<MethodHandle> getLastErrorString;
    private final MethodHandle createTensor, setTensor4d, destroyTensor, createFilter, setFilter4d, destroyFilter;
    private final MethodHandle createActivation, setActivation, destroyActivation, activationForward, addTensor;
    private final MethodHandle deriveBn, bnInference, softmaxForward;
    private final MethodHandle createConv, setConv2d, setGroupCount, setMathType, destroyConv, conv2dOutputDim;
    private final MethodHandle findFwd, getFwdV7, fwdWorkspace, convForward, convBiasActivation;
    private final MethodHandle findBwdData, getBwdDataV7, bwdDataWorkspace, convBackwardData;

    /** Every function this class binds, with its descriptor, in header order. */
    public static Map<String, FunctionDescriptor> signatures() {
        return SIGNATURES;
    }

    /** The process-wide binding; loads the library on first success (failures are not cached). */
    public static synchronized Cudnn load() {
        if (instance == null) {
            instance = bind(NativeLibraries.load("cuDNN", NativeLibraries.CUDNN_PROPERTY, NativeLibraries.CUDNN_DEFAULTS));
        }
        return instance;
    }

    /** Binds an already loaded library; unloads it again if a function is missing. */
    public static Cudnn bind(NativeLibraries.Library library) {
        try {
            return new Cudnn(library);
        } catch (RuntimeException e) {
            library.release();
            throw e;
        }
    }

    private Cudnn(NativeLibraries.Library library) {
        this.library = library;
        Binder b = new Binder(library, SIGNATURES);
        getVersion = b.require("cudnnGetVersion");
        getErrorString = b.require("cudnnGetErrorString");
        getLastErrorString = b.optional("cudnnGetLastErrorString");
        create = b.require("cudnnCreate");
        destroy = b.require("cudnnDestroy");
        setStream = b.require("cudnnSetStream");
        createTensor = b.require("cudnnCreateTensorDescriptor");
        setTensor4d = b.require("cudnnSetTensor4dDescriptor");
        destroyTensor = b.require("cudnnDestroyTensorDescriptor");
        createFilter = b.require("cudnnCreateFilterDescriptor");
        setFilter4d = b.require("cudnnSetFilter4dDescriptor");
        destroyFilter = b.require("cudnnDestroyFilterDescriptor");
        createActivation = b.require("cudnnCreateActivationDescriptor");
        setActivation = b.require("cudnnSetActivationDescriptor");
        destroyActivation = b.require("cudnnDestroyActivationDescriptor");
        activationForward = b.require("cudnnActivationForward");
        addTensor = b.require("cudnnAddTensor");
        deriveBn = b.require("cudnnDeriveBNTensorDescriptor");
        bnInference = b.require("cudnnBatchNormalizationForwardInference");
        softmaxForward = b.require("cudnnSoftmaxForward");
        createConv = b.require("cudnnCreateConvolutionDescriptor");
        setConv2d = b.require("cudnnSetConvolution2dDescriptor");
        setGroupCount = b.require("cudnnSetConvolutionGroupCount");
        setMathType = b.require("cudnnSetConvolutionMathType");
        destroyConv = b.require("cudnnDestroyConvolutionDescriptor");
        conv2dOutputDim = b.require("cudnnGetConvolution2dForwardOutputDim");
        findFwd = b.require("cudnnFindConvolutionForwardAlgorithm");
        getFwdV7 = b.require("cudnnGetConvolutionForwardAlgorithm_v7");
        fwdWorkspace = b.require("cudnnGetConvolutionForwardWorkspaceSize");
        convForward = b.require("cudnnConvolutionForward");
        convBiasActivation = b.require("cudnnConvolutionBiasActivationForward");
        findBwdData = b.require("cudnnFindConvolutionBackwardDataAlgorithm");
        getBwdDataV7 = b.require("cudnnGetConvolutionBackwardDataAlgorithm_v7");
        bwdDataWorkspace = b.require("cudnnGetConvolutionBackwardDataWorkspaceSize");
        convBackwardData = b.require("cudnnConvolutionBackwardData");
        try {
            version = (long) getVersion.invokeExact();
        } catch (Throwable t) {
            throw Binder.rethrow(t);
        }
        v9 = CudnnStatus.usesV9Numbering(version);
    }

    /** {@code cudnnGetVersion()}: 90600 for 9.6.0, 8907 for 8.9.7. */
    public long version() {
        return version;
    }

    public boolean v9Numbering() {
        return v9;
    }

    /** The files the functions were found in. */
    public List<String> files() {
        return library.files();
    }

    private void check(String call, int status) {
        if (status != 0) throw new CudnnException(call, status, v9, errorText(status));
    }

    private String errorText(int status) {
        String s;
        try {
            s = Binder.cString((MemorySegment) getErrorString.invokeExact(status));
        } catch (Throwable t) {
            s = null;
        }
        if (getLastErrorString.isPresent()) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment buf = a.allocate(1024);
                getLastErrorString.get().invokeExact(buf, 1024L);
                String last = buf.getString(0);
                if (!last.isBlank()) s = s == null ? last : s + "; " + last;
            } catch (Throwable ignored) {
                // the detail text is a nicety; the status code already says what failed
            }
        }
        return s;
    }

    private MemorySegment createHandle(String call, MethodHandle h) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check(call, Binder.status(() -> (int) h.invokeExact(out)));
            return out.get(ADDRESS, 0);
        }
    }

    private void destroyHandle(String call, MethodHandle h, MemorySegment handle) {
        check(call, Binder.status(() -> (int) h.invokeExact(handle)));
    }

    // ---- handle ----

    public MemorySegment create() {
        return createHandle("cudnnCreate", create);
    }

    public void destroy(MemorySegment handle) {
        destroyHandle("cudnnDestroy", destroy, handle);
    }

    public void setStream(MemorySegment handle, MemorySegment stream) {
        check("cudnnSetStream", Binder.status(() -> (int) setStream.invokeExact(handle, stream)));
    }

    // ---- tensor and filter descriptors ----

    public MemorySegment createTensorDescriptor() {
        return createHandle("cudnnCreateTensorDescriptor", createTensor);
    }

    /** Note the argument order of the C function: format before dataType. */
    public void setTensor4dDescriptor(MemorySegment desc, int format, int dataType, int n, int c, int h, int w) {
        check("cudnnSetTensor4dDescriptor",
                Binder.status(() -> (int) setTensor4d.invokeExact(desc, format, dataType, n, c, h, w)));
    }

    public void destroyTensorDescriptor(MemorySegment desc) {
        destroyHandle("cudnnDestroyTensorDescriptor", destroyTensor, desc);
    }

    public MemorySegment createFilterDescriptor() {
        return createHandle("cudnnCreateFilterDescriptor", createFilter);
    }

    /** Note the argument order of the C function: dataType before format (the opposite of tensors). */
    public void setFilter4dDescriptor(MemorySegment desc, int dataType, int format, int k, int c, int h, int w) {
        check("cudnnSetFilter4dDescriptor",
                Binder.status(() -> (int) setFilter4d.invokeExact(desc, dataType, format, k, c, h, w)));
    }

    public void destroyFilterDescriptor(MemorySegment desc) {
        destroyHandle("cudnnDestroyFilterDescriptor", destroyFilter, desc);
    }

    // ---- activation ----

    public MemorySegment createActivationDescriptor() {
        return createHandle("cudnnCreateActivationDescriptor", createActivation);
    }

    public void setActivationDescriptor(MemorySegment desc, int mode, int nanOpt, double coef) {
        check("cudnnSetActivationDescriptor",
                Binder.status(() -> (int) setActivation.invokeExact(desc, mode, nanOpt, coef)));
    }

    public void destroyActivationDescriptor(MemorySegment desc) {
        destroyHandle("cudnnDestroyActivationDescriptor", destroyActivation, desc);
    }

    public void activationForward(MemorySegment handle, MemorySegment actDesc, MemorySegment alpha,
                                  MemorySegment xDesc, MemorySegment x, MemorySegment beta,
                                  MemorySegment yDesc, MemorySegment y) {
        check("cudnnActivationForward", Binder.status(() ->
                (int) activationForward.invokeExact(handle, actDesc, alpha, xDesc, x, beta, yDesc, y)));
    }

    /** C = alpha * A + beta * C, A broadcast over C. */
    public void addTensor(MemorySegment handle, MemorySegment alpha, MemorySegment aDesc, MemorySegment a,
                          MemorySegment beta, MemorySegment cDesc, MemorySegment c) {
        check("cudnnAddTensor", Binder.status(() -> (int) addTensor.invokeExact(handle, alpha, aDesc, a, beta, cDesc, c)));
    }

    // ---- batch norm and softmax ----

    public void deriveBNTensorDescriptor(MemorySegment derived, MemorySegment xDesc, int mode) {
        check("cudnnDeriveBNTensorDescriptor", Binder.status(() -> (int) deriveBn.invokeExact(derived, xDesc, mode)));
    }

    public void batchNormalizationForwardInference(MemorySegment handle, int mode, MemorySegment alpha,
                                                   MemorySegment beta, MemorySegment xDesc, MemorySegment x,
                                                   MemorySegment yDesc, MemorySegment y, MemorySegment bnDesc,
                                                   MemorySegment scale, MemorySegment bias, MemorySegment mean,
                                                   MemorySegment var, double epsilon) {
        check("cudnnBatchNormalizationForwardInference", Binder.status(() -> (int) bnInference.invokeExact(
                handle, mode, alpha, beta, xDesc, x, yDesc, y, bnDesc, scale, bias, mean, var, epsilon)));
    }

    public void softmaxForward(MemorySegment handle, int algo, int mode, MemorySegment alpha, MemorySegment xDesc,
                               MemorySegment x, MemorySegment beta, MemorySegment yDesc, MemorySegment y) {
        check("cudnnSoftmaxForward", Binder.status(() ->
                (int) softmaxForward.invokeExact(handle, algo, mode, alpha, xDesc, x, beta, yDesc, y)));
    }

    // ---- convolution ----

    public MemorySegment createConvolutionDescriptor() {
        return createHandle("cudnnCreateConvolutionDescriptor", createConv);
    }

    public void setConvolution2dDescriptor(MemorySegment desc, int padH, int padW, int strideH, int strideW,
                                           int dilationH, int dilationW, int mode, int computeType) {
        check("cudnnSetConvolution2dDescriptor", Binder.status(() -> (int) setConv2d.invokeExact(
                desc, padH, padW, strideH, strideW, dilationH, dilationW, mode, computeType)));
    }

    public void setConvolutionGroupCount(MemorySegment desc, int groups) {
        check("cudnnSetConvolutionGroupCount", Binder.status(() -> (int) setGroupCount.invokeExact(desc, groups)));
    }

    public void setConvolutionMathType(MemorySegment desc, int mathType) {
        check("cudnnSetConvolutionMathType", Binder.status(() -> (int) setMathType.invokeExact(desc, mathType)));
    }

    public void destroyConvolutionDescriptor(MemorySegment desc) {
        destroyHandle("cudnnDestroyConvolutionDescriptor", destroyConv, desc);
    }

    /** The output dims cuDNN computes for a forward convolution, as {n, c, h, w}. */
    public int[] getConvolution2dForwardOutputDim(MemorySegment convDesc, MemorySegment xDesc, MemorySegment wDesc) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT), c = a.allocate(JAVA_INT), h = a.allocate(JAVA_INT),
                    w = a.allocate(JAVA_INT);
            check("cudnnGetConvolution2dForwardOutputDim",
                    Binder.status(() -> (int) conv2dOutputDim.invokeExact(convDesc, xDesc, wDesc, n, c, h, w)));
            return new int[] {n.get(JAVA_INT, 0), c.get(JAVA_INT, 0), h.get(JAVA_INT, 0), w.get(JAVA_INT, 0)};
        }
    }

    /** Runs trial convolutions and returns the results, fastest first. */
    public List<AlgoPerf> findConvolutionForwardAlgorithm(MemorySegment handle, MemorySegment xDesc,
                                                          MemorySegment wDesc, MemorySegment convDesc,
                                                          MemorySegment yDesc) {
        return algoSearch("cudnnFindConvolutionForwardAlgorithm", findFwd, handle, xDesc, wDesc, convDesc, yDesc,
                CUDNN_CONVOLUTION_FWD_ALGO_COUNT);
    }

    /** cuDNN's heuristic ranking, without running anything. */
    public List<AlgoPerf> getConvolutionForwardAlgorithmV7(MemorySegment handle, MemorySegment xDesc,
                                                           MemorySegment wDesc, MemorySegment convDesc,
                                                           MemorySegment yDesc) {
        return algoSearch("cudnnGetConvolutionForwardAlgorithm_v7", getFwdV7, handle, xDesc, wDesc, convDesc, yDesc,
                CUDNN_CONVOLUTION_FWD_ALGO_COUNT);
    }

    public long getConvolutionForwardWorkspaceSize(MemorySegment handle, MemorySegment xDesc, MemorySegment wDesc,
                                                   MemorySegment convDesc, MemorySegment yDesc, int algo) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(JAVA_LONG);
            check("cudnnGetConvolutionForwardWorkspaceSize", Binder.status(() ->
                    (int) fwdWorkspace.invokeExact(handle, xDesc, wDesc, convDesc, yDesc, algo, size)));
            return size.get(JAVA_LONG, 0);
        }
    }

    public void convolutionForward(MemorySegment handle, MemorySegment alpha, MemorySegment xDesc, MemorySegment x,
                                   MemorySegment wDesc, MemorySegment w, MemorySegment convDesc, int algo,
                                   MemorySegment workspace, long workspaceBytes, MemorySegment beta,
                                   MemorySegment yDesc, MemorySegment y) {
        check("cudnnConvolutionForward", Binder.status(() -> (int) convForward.invokeExact(
                handle, alpha, xDesc, x, wDesc, w, convDesc, algo, workspace, workspaceBytes, beta, yDesc, y)));
    }

    /** y = act(alpha1 * conv(x) + alpha2 * z + bias). */
    public void convolutionBiasActivationForward(MemorySegment handle, MemorySegment alpha1, MemorySegment xDesc,
                                                 MemorySegment x, MemorySegment wDesc, MemorySegment w,
                                                 MemorySegment convDesc, int algo, MemorySegment workspace,
                                                 long workspaceBytes, MemorySegment alpha2, MemorySegment zDesc,
                                                 MemorySegment z, MemorySegment biasDesc, MemorySegment bias,
                                                 MemorySegment actDesc, MemorySegment yDesc, MemorySegment y) {
        check("cudnnConvolutionBiasActivationForward", Binder.status(() -> (int) convBiasActivation.invokeExact(
                handle, alpha1, xDesc, x, wDesc, w, convDesc, algo, workspace, workspaceBytes, alpha2, zDesc, z,
                biasDesc, bias, actDesc, yDesc, y)));
    }

    /** Trial runs of the backward-data (transposed convolution) algorithms, fastest first. */
    public List<AlgoPerf> findConvolutionBackwardDataAlgorithm(MemorySegment handle, MemorySegment wDesc,
                                                               MemorySegment dyDesc, MemorySegment convDesc,
                                                               MemorySegment dxDesc) {
        return algoSearch("cudnnFindConvolutionBackwardDataAlgorithm", findBwdData, handle, wDesc, dyDesc, convDesc,
                dxDesc, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT);
    }

    public List<AlgoPerf> getConvolutionBackwardDataAlgorithmV7(MemorySegment handle, MemorySegment wDesc,
                                                                MemorySegment dyDesc, MemorySegment convDesc,
                                                                MemorySegment dxDesc) {
        return algoSearch("cudnnGetConvolutionBackwardDataAlgorithm_v7", getBwdDataV7, handle, wDesc, dyDesc,
                convDesc, dxDesc, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT);
    }

    public long getConvolutionBackwardDataWorkspaceSize(MemorySegment handle, MemorySegment wDesc,
                                                        MemorySegment dyDesc, MemorySegment convDesc,
                                                        MemorySegment dxDesc, int algo) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(JAVA_LONG);
            check("cudnnGetConvolutionBackwardDataWorkspaceSize", Binder.status(() ->
                    (int) bwdDataWorkspace.invokeExact(handle, wDesc, dyDesc, convDesc, dxDesc, algo, size)));
            return size.get(JAVA_LONG, 0);
        }
    }

    /** dx = alpha * convT(dy, w) + beta * dx: the transposed convolution of dy. */
    public void convolutionBackwardData(MemorySegment handle, MemorySegment alpha, MemorySegment wDesc,
                                        MemorySegment w, MemorySegment dyDesc, MemorySegment dy,
                                        MemorySegment convDesc, int algo, MemorySegment workspace,
                                        long workspaceBytes, MemorySegment beta, MemorySegment dxDesc,
                                        MemorySegment dx) {
        check("cudnnConvolutionBackwardData", Binder.status(() -> (int) convBackwardData.invokeExact(
                handle, alpha, wDesc, w, dyDesc, dy, convDesc, algo, workspace, workspaceBytes, beta, dxDesc, dx)));
    }

    private List<AlgoPerf> algoSearch(String call, MethodHandle h, MemorySegment handle, MemorySegment d1,
                                      MemorySegment d2, MemorySegment d3, MemorySegment d4, int requested) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment returned = a.allocate(JAVA_INT);
            MemorySegment perf = a.allocate(ALGO_PERF, requested);
            check(call, Binder.status(() -> (int) h.invokeExact(handle, d1, d2, d3, d4, requested, returned, perf)));
            int n = Math.min(returned.get(JAVA_INT, 0), requested);
            List<AlgoPerf> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                long o = i * ALGO_PERF.byteSize();
                out.add(new AlgoPerf(perf.get(JAVA_INT, o), perf.get(JAVA_INT, o + 4), perf.get(JAVA_FLOAT, o + 8),
                        perf.get(JAVA_LONG, o + 16), perf.get(JAVA_INT, o + 24), perf.get(JAVA_INT, o + 28)));
            }
            return out;
        }
    }
}
