package io.foldrt.emu;

import static io.foldrt.emu.Emu.check;
import static io.foldrt.emu.Emu.cu;
import static io.foldrt.emu.Emu.dnn;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The emulated cuDNN against float64 references written here from the operator definitions, and its cuDNN 9
 * status codes. Outputs start as NaN (fresh emulated device memory), so an operation that reads y when beta is 0
 * would show up.
 */
@Tag("emulated")
class EmulatedCudnnTest {
    static final int BAD_PARAM = 2000, NOT_SUPPORTED = 3000, INTERNAL_ERROR = 4000, EXECUTION_FAILED = 5000;
    static final int CROSS_CORRELATION = 1, CONVOLUTION = 0;

    Arena arena;
    MemorySegment handle;
    final List<Long> buffers = new ArrayList<>();
    final List<Runnable> destroy = new ArrayList<>();
    final SplittableRandom rng = new SplittableRandom(42);
    int errorsBefore, allocationsBefore;

    @BeforeEach
    void setUp() {
        arena = Arena.ofConfined();
        Emu.primaryContext();
        allocationsBefore = Emu.liveAllocations();
        MemorySegment h = arena.allocate(ADDRESS);
        check(dnn("cudnnCreate", h), "cudnnCreate");
        handle = h.get(ADDRESS, 0);
        errorsBefore = Emu.errorCount();
    }

    @AfterEach
    void tearDown() {
        Emu.clearFaults();
        for (Runnable r : destroy) r.run();
        for (long b : buffers) Emu.free(b);
        check(dnn("cudnnDestroy", handle), "cudnnDestroy");
        assertEquals(allocationsBefore, Emu.liveAllocations(), "leaked device memory");
        assertEquals(0, Emu.liveCount("cudnnTensorDescriptor") + Emu.liveCount("cudnnFilterDescriptor")
                + Emu.liveCount("cudnnConvolutionDescriptor") + Emu.liveCount("cudnnActivationDescriptor")
                + Emu.liveCount("cudnnPoolingDescriptor"), "leaked descriptors");
        arena.close();
        Emu.releasePrimary();
    }

    // ---- helpers ----

    float[] random(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rng.nextDouble() * 2 - 1);
        return a;
    }

    long dev(float[] data) { long p = Emu.upload(data); buffers.add(p); return p; }
    long devEmpty(int n) { long p = Emu.malloc(4L * n); buffers.add(p); return p; }
    MemorySegment f(float v) { return arena.allocateFrom(JAVA_FLOAT, v); }

    MemorySegment desc(String create, String destroyName) {
        MemorySegment out = arena.allocate(ADDRESS);
        check(dnn(create, out), create);
        MemorySegment d = out.get(ADDRESS, 0);
        destroy.add(() -> check(dnn(destroyName, d), destroyName));
        return d;
    }

    MemorySegment tensor(int n, int c, int h, int w) {
        MemorySegment t = desc("cudnnCreateTensorDescriptor", "cudnnDestroyTensorDescriptor");
        check(dnn("cudnnSetTensor4dDescriptor", t, 0, 0, n, c, h, w), "cudnnSetTensor4dDescriptor");
        return t;
    }

    MemorySegment filter(int k, int c, int h, int w) {
        MemorySegment t = desc("cudnnCreateFilterDescriptor", "cudnnDestroyFilterDescriptor");
        check(dnn("cudnnSetFilter4dDescriptor", t, 0, 0, k, c, h, w), "cudnnSetFilter4dDescriptor");
        return t;
    }

    MemorySegment conv(int pad, int stride, int dil, int groups, int mode) {
        MemorySegment c = desc("cudnnCreateConvolutionDescriptor", "cudnnDestroyConvolutionDescriptor");
        check(dnn("cudnnSetConvolution2dDescriptor", c, pad, pad, stride, stride, dil, dil, mode, 0), "set conv");
        check(dnn("cudnnSetConvolutionGroupCount", c, groups), "group count");
        return c;
    }

    MemorySegment activation(int mode, double coef) {
        MemorySegment a = desc("cudnnCreateActivationDescriptor", "cudnnDestroyActivationDescriptor");
        check(dnn("cudnnSetActivationDescriptor", a, mode, 0, coef), "set activation");
        return a;
    }

    static void assertClose(double[] want, float[] got, double tol, String what) {
        assertEquals(want.length, got.length, what + " length");
        for (int i = 0; i < want.length; i++)
            assertTrue(Math.abs(want[i] - got[i]) <= tol * (1 + Math.abs(want[i])),
                    what + "[" + i + "]: want " + want[i] + " got " + got[i]);
    }

    void assertNewError(String fragment) {
        assertTrue(Emu.errorCount() > errorsBefore, "the emulator should have reported misuse");
        assertTrue(Emu.lastError().contains(fragment), () -> "last error '" + Emu.lastError() + "' lacks '" + fragment + "'");
        errorsBefore = Emu.errorCount();
    }

    /** float64 convolution of NCHW x with KCRS w (cross-correlation; mode CONVOLUTION flips the filter). */
    static double[] refConv(float[] x, int n, int c, int h, int w, float[] wt, int k, int r, int s, int pad, int stride,
                            int dil, int groups, boolean flip, int oh, int ow) {
        int cg = c / groups, kg = k / groups;
        double[] y = new double[n * k * oh * ow];
        for (int ni = 0; ni < n; ni++)
            for (int ki = 0; ki < k; ki++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++) {
                        double acc = 0;
                        for (int ci = 0; ci < cg; ci++)
                            for (int ry = 0; ry < r; ry++)
                                for (int sx = 0; sx < s; sx++) {
                                    int iy = oy * stride - pad + ry * dil, ix = ox * stride - pad + sx * dil;
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                    int rr = flip ? r - 1 - ry : ry, ss = flip ? s - 1 - sx : sx;
                                    acc += x[((ni * c + (ki / kg) * cg + ci) * h + iy) * w + ix] * (double) wt[((ki * cg + ci) * r + rr) * s + ss];
                                }
                        y[((ni * k + ki) * oh + oy) * ow + ox] = acc;
                    }
        return y;
    }

    record ConvCase(int n, int c, int h, int w, int k, int r, int s, int pad, int stride, int dil, int groups, int mode) {}

    // ---- tests ----

    @Test
    void versionAndStatusStrings() {
        assertEquals(91900L, (long) Emu.invoke(Emu.CUDNN, "cudnnGetVersion", JAVA_LONG));
        MemorySegment s = (MemorySegment) Emu.invoke(Emu.CUDNN, "cudnnGetErrorString", ADDRESS, BAD_PARAM);
        assertEquals("CUDNN_STATUS_BAD_PARAM", s.reinterpret(64).getString(0));
    }

    @Test
    void convolutionForwardMatchesFloat64ReferenceWithGroupsDilationStrideAndBothModes() {
        ConvCase[] cases = {
            new ConvCase(2, 4, 9, 8, 6, 3, 3, 1, 1, 1, 1, CROSS_CORRELATION),
            new ConvCase(1, 6, 11, 10, 6, 3, 3, 2, 2, 1, 3, CROSS_CORRELATION),
            new ConvCase(1, 4, 10, 10, 8, 3, 3, 2, 1, 2, 2, CROSS_CORRELATION),
            new ConvCase(1, 3, 7, 9, 4, 5, 3, 1, 2, 1, 1, CONVOLUTION),
            new ConvCase(1, 8, 8, 8, 8, 3, 3, 1, 1, 1, 8, CROSS_CORRELATION), // depthwise
            new ConvCase(3, 5, 6, 6, 7, 1, 1, 0, 1, 1, 1, CROSS_CORRELATION),
        };
        for (ConvCase t : cases) {
            float[] x = random(t.n * t.c * t.h * t.w), w = random(t.k * (t.c / t.groups) * t.r * t.s);
            MemorySegment xd = tensor(t.n, t.c, t.h, t.w), wd = filter(t.k, t.c / t.groups, t.r, t.s);
            MemorySegment cd = conv(t.pad, t.stride, t.dil, t.groups, t.mode);
            MemorySegment dims = arena.allocate(JAVA_INT, 4);
            check(dnn("cudnnGetConvolution2dForwardOutputDim", cd, xd, wd, dims, dims.asSlice(4), dims.asSlice(8), dims.asSlice(12)), "out dim");
            int oh = (t.h + 2 * t.pad - ((t.r - 1) * t.dil + 1)) / t.stride + 1, ow = (t.w + 2 * t.pad - ((t.s - 1) * t.dil + 1)) / t.stride + 1;
            assertEquals(List.of(t.n, t.k, oh, ow), List.of(dims.getAtIndex(JAVA_INT, 0), dims.getAtIndex(JAVA_INT, 1),
                    dims.getAtIndex(JAVA_INT, 2), dims.getAtIndex(JAVA_INT, 3)), t.toString());
            MemorySegment yd = tensor(t.n, t.k, oh, ow);
            // the heuristic's first usable algorithm and its workspace
            MemorySegment perf = arena.allocate(48 * 8, 8), count = arena.allocate(JAVA_INT);
            check(dnn("cudnnGetConvolutionForwardAlgorithm_v7", handle, xd, wd, cd, yd, 8, count, perf), "get v7");
            assertEquals(8, count.get(JAVA_INT, 0));
            assertEquals(0, perf.get(JAVA_INT, 4), "first result usable");
            int algo = perf.get(JAVA_INT, 0);
            long wsBytes = perf.get(JAVA_LONG, 16);
            long ws = wsBytes > 0 ? devEmpty((int) ((wsBytes + 3) / 4)) : 0;
            long dx = dev(x), dw = dev(w), dy = devEmpty(t.n * t.k * oh * ow);
            check(dnn("cudnnConvolutionForward", handle, f(1f), xd, Emu.ptr(dx), wd, Emu.ptr(dw), cd, algo,
                    Emu.ptr(ws), wsBytes, f(0f), yd, Emu.ptr(dy)), "conv " + t);
            double[] ref = refConv(x, t.n, t.c, t.h, t.w, w, t.k, t.r, t.s, t.pad, t.stride, t.dil, t.groups, t.mode == CONVOLUTION, oh, ow);
            assertClose(ref, Emu.download(dy, ref.length), 1e-5, t.toString());
            // blending: y = 0.5 * conv + 2 * y
            float[] prior = Emu.download(dy, ref.length);
            check(dnn("cudnnConvolutionForward", handle, f(0.5f), xd, Emu.ptr(dx), wd, Emu.ptr(dw), cd, 0,
                    MemorySegment.NULL, 0L, f(2f), yd, Emu.ptr(dy)), "conv blend");
            double[] blended = new double[ref.length];
            for (int i = 0; i < ref.length; i++) blended[i] = 0.5 * ref[i] + 2 * prior[i];
            assertClose(blended, Emu.download(dy, ref.length), 1e-5, "blend " + t);
        }
        assertEquals(errorsBefore, Emu.errorCount(), () -> Emu.lastError());
    }

    @Test
    void convolutionRefusesWhatCudnnRefuses() {
        MemorySegment xd = tensor(1, 4, 8, 8), wd = filter(8, 4, 3, 3), cd = conv(1, 1, 1, 1, CROSS_CORRELATION);
        MemorySegment dims = arena.allocate(JAVA_INT, 4);
        MemorySegment wrongFilter = filter(8, 3, 3, 3);
        assertEquals(BAD_PARAM, dnn("cudnnGetConvolution2dForwardOutputDim", cd, xd, wrongFilter, dims, dims.asSlice(4),
                dims.asSlice(8), dims.asSlice(12)), "input channels differ from filter channels x groups");
        MemorySegment grouped = conv(1, 1, 1, 3, CROSS_CORRELATION);
        MemorySegment w3 = filter(8, 2, 3, 3);
        MemorySegment x6 = tensor(1, 6, 8, 8);
        assertEquals(BAD_PARAM, dnn("cudnnGetConvolution2dForwardOutputDim", grouped, x6, w3, dims, dims.asSlice(4),
                dims.asSlice(8), dims.asSlice(12)), "8 output channels are not divisible by 3 groups");
        MemorySegment bad = desc("cudnnCreateConvolutionDescriptor", "cudnnDestroyConvolutionDescriptor");
        assertEquals(BAD_PARAM, dnn("cudnnSetConvolution2dDescriptor", bad, -1, 0, 1, 1, 1, 1, 1, 0), "negative pad");
        assertEquals(BAD_PARAM, dnn("cudnnSetConvolution2dDescriptor", bad, 0, 0, 0, 1, 1, 1, 1, 0), "zero stride");
        MemorySegment wrongY = tensor(1, 8, 7, 8);
        long x = dev(random(256)), w = dev(random(288)), y = devEmpty(512);
        assertEquals(BAD_PARAM, dnn("cudnnConvolutionForward", handle, f(1f), xd, Emu.ptr(x), wd, Emu.ptr(w), cd, 0,
                MemorySegment.NULL, 0L, f(0f), wrongY, Emu.ptr(y)), "y descriptor does not match the convolution");
        MemorySegment yd = tensor(1, 8, 8, 8);
        MemorySegment size = arena.allocate(JAVA_LONG);
        assertEquals(NOT_SUPPORTED, dnn("cudnnGetConvolutionForwardWorkspaceSize", handle, xd, wd, cd, yd, 3, size),
                "DIRECT is not implemented by cuDNN");
        check(dnn("cudnnGetConvolutionForwardWorkspaceSize", handle, xd, wd, cd, yd, 7, size), "WINOGRAD_NONFUSED 3x3");
        long need = size.get(JAVA_LONG, 0);
        assertTrue(need > 0);
        long ws = devEmpty((int) (need / 4));
        assertEquals(BAD_PARAM, dnn("cudnnConvolutionForward", handle, f(1f), xd, Emu.ptr(x), wd, Emu.ptr(w), cd, 7,
                Emu.ptr(ws), need - 4, f(0f), yd, Emu.ptr(y)), "workspace smaller than the algorithm needs");
        assertNewError("workspace bytes");
        assertEquals(BAD_PARAM, dnn("cudnnConvolutionForward", handle, f(1f), xd, Emu.ptr(x), wd, Emu.ptr(w), cd, 7,
                MemorySegment.NULL, need, f(0f), yd, Emu.ptr(y)), "NULL workspace");
        MemorySegment bigX = tensor(1, 4, 8, 9); // 288 floats in a 256-float buffer
        MemorySegment bigY = tensor(1, 8, 8, 9);
        long y2 = devEmpty(8 * 8 * 9);
        assertEquals(EXECUTION_FAILED, dnn("cudnnConvolutionForward", handle, f(1f), bigX, Emu.ptr(x), wd, Emu.ptr(w), cd, 0,
                MemorySegment.NULL, 0L, f(0f), bigY, Emu.ptr(y2)), "descriptor larger than the buffer");
        assertNewError("not a valid device buffer");
        // the 48-byte perf rows: unsupported algorithms come last with NOT_SUPPORTED
        MemorySegment perf = arena.allocate(48 * 8, 8), count = arena.allocate(JAVA_INT);
        check(dnn("cudnnFindConvolutionForwardAlgorithm", handle, xd, wd, cd, yd, 8, count, perf), "find");
        boolean seenUnsupported = false, seenWorkspace = false;
        for (int i = 0; i < 8; i++) {
            int status = perf.get(JAVA_INT, 48L * i + 4);
            if (status != 0) seenUnsupported = true;
            else {
                assertTrue(!seenUnsupported, "usable algorithms first");
                assertTrue(perf.get(JAVA_FLOAT, 48L * i + 8) > 0, "find reports a time");
                seenWorkspace |= perf.get(JAVA_LONG, 48L * i + 16) > 0;
            }
        }
        assertTrue(seenUnsupported && seenWorkspace);
    }

    @Test
    void convBiasActivationFollowsTheFusedCallsRules() {
        int n = 2, c = 3, h = 6, w = 5, k = 4;
        float[] x = random(n * c * h * w), wt = random(k * c * 9), bias = random(k), z = random(n * k * h * w);
        MemorySegment xd = tensor(n, c, h, w), wd = filter(k, c, 3, 3), cd = conv(1, 1, 1, 1, CROSS_CORRELATION);
        MemorySegment yd = tensor(n, k, h, w), bd = tensor(1, k, 1, 1);
        long dx = dev(x), dw = dev(wt), db = dev(bias), dz = dev(z), dy = devEmpty(n * k * h * w);
        MemorySegment relu = activation(1, 0), identity = activation(5, 0), relu6 = activation(3, 6);
        MemorySegment size = arena.allocate(JAVA_LONG);
        check(dnn("cudnnGetConvolutionForwardWorkspaceSize", handle, xd, wd, cd, yd, 1, size), "ws");
        long wsBytes = size.get(JAVA_LONG, 0);
        long ws = devEmpty((int) (wsBytes / 4 + 1));
        check(dnn("cudnnConvolutionBiasActivationForward", handle, f(1f), xd, Emu.ptr(dx), wd, Emu.ptr(dw), cd, 1,
                Emu.ptr(ws), wsBytes, f(0.5f), yd, Emu.ptr(dz), bd, Emu.ptr(db), relu, yd, Emu.ptr(dy)), "conv+bias+relu");
        double[] ref = refConv(x, n, c, h, w, wt, k, 3, 3, 1, 1, 1, 1, false, h, w);
        for (int i = 0; i < ref.length; i++) ref[i] = Math.max(0, ref[i] + 0.5 * z[i] + bias[(i / (h * w)) % k]);
        assertClose(ref, Emu.download(dy, ref.length), 1e-5, "conv+bias+relu");
        assertEquals(NOT_SUPPORTED, dnn("cudnnConvolutionBiasActivationForward", handle, f(1f), xd, Emu.ptr(dx), wd,
                Emu.ptr(dw), cd, 0, MemorySegment.NULL, 0L, f(0f), yd, Emu.ptr(dz), bd, Emu.ptr(db), identity, yd, Emu.ptr(dy)),
                "IDENTITY needs IMPLICIT_PRECOMP_GEMM");
        check(dnn("cudnnConvolutionBiasActivationForward", handle, f(1f), xd, Emu.ptr(dx), wd, Emu.ptr(dw), cd, 1,
                Emu.ptr(ws), wsBytes, f(0f), yd, Emu.ptr(dz), bd, Emu.ptr(db), identity, yd, Emu.ptr(dy)), "IDENTITY + precomp");
        assertEquals(NOT_SUPPORTED, dnn("cudnnConvolutionBiasActivationForward", handle, f(1f), xd, Emu.ptr(dx), wd,
                Emu.ptr(dw), cd, 1, Emu.ptr(ws), wsBytes, f(0f), yd, Emu.ptr(dz), bd, Emu.ptr(db), relu6, yd, Emu.ptr(dy)),
                "only RELU or IDENTITY");
        MemorySegment wrongBias = tensor(1, k, 1, 2);
        assertEquals(BAD_PARAM, dnn("cudnnConvolutionBiasActivationForward", handle, f(1f), xd, Emu.ptr(dx), wd,
                Emu.ptr(dw), cd, 1, Emu.ptr(ws), wsBytes, f(0f), yd, Emu.ptr(dz), wrongBias, Emu.ptr(db), relu, yd, Emu.ptr(dy)),
                "bias must be 1xKx1x1");
        assertEquals(BAD_PARAM, dnn("cudnnActivationForward", handle, identity, f(1f), yd, Emu.ptr(dy), f(0f), yd, Emu.ptr(dy)),
                "IDENTITY refused by cudnnActivationForward");
    }

    @Test
    void backwardDataIsTheTransposedConvolution() {
        // ConvTranspose: x [1, 4, 5, 5] -> y [1, 6, 10, 10] with stride 2, pad 1, output_padding 1, groups 2, 3x3
        int n = 1, cin = 4, h = 5, w = 5, g = 2, mPerG = 3, cout = g * mPerG, kk = 3, stride = 2, pad = 1;
        int oh = (h - 1) * stride - 2 * pad + kk + 1, ow = (w - 1) * stride - 2 * pad + kk + 1;
        float[] x = random(n * cin * h * w), wt = random(cin * mPerG * kk * kk);
        // cuDNN view: the forward conv maps dx [N, cout] -> dy [N, cin]; filter K = cin, C = cout / groups
        MemorySegment wd = filter(cin, mPerG, kk, kk), dyd = tensor(n, cin, h, w), dxd = tensor(n, cout, oh, ow);
        MemorySegment cd = conv(pad, stride, 1, g, CROSS_CORRELATION);
        MemorySegment perf = arena.allocate(48 * 6, 8), count = arena.allocate(JAVA_INT);
        check(dnn("cudnnGetConvolutionBackwardDataAlgorithm_v7", handle, wd, dyd, cd, dxd, 6, count, perf), "bwd v7");
        int algo = perf.get(JAVA_INT, 0);
        long wsBytes = perf.get(JAVA_LONG, 16);
        long ws = wsBytes > 0 ? devEmpty((int) (wsBytes / 4 + 1)) : 0;
        long dx = dev(x), dw = dev(wt), dy = devEmpty(n * cout * oh * ow);
        check(dnn("cudnnConvolutionBackwardData", handle, f(1f), wd, Emu.ptr(dw), dyd, Emu.ptr(dx), cd, algo, Emu.ptr(ws),
                wsBytes, f(0f), dxd, Emu.ptr(dy)), "backward data");
        double[] ref = new double[n * cout * oh * ow];
        for (int ci = 0; ci < cin; ci++) {
            int gi = ci / (cin / g);
            for (int iy = 0; iy < h; iy++)
                for (int ix = 0; ix < w; ix++)
                    for (int mj = 0; mj < mPerG; mj++)
                        for (int ky = 0; ky < kk; ky++)
                            for (int kx = 0; kx < kk; kx++) {
                                int oy = iy * stride - pad + ky, ox = ix * stride - pad + kx;
                                if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
                                ref[((gi * mPerG + mj) * oh + oy) * ow + ox] += x[(ci * h + iy) * w + ix] * (double) wt[((ci * mPerG + mj) * kk + ky) * kk + kx];
                            }
        }
        assertClose(ref, Emu.download(dy, ref.length), 1e-5, "conv transpose");
        MemorySegment wrongDx = tensor(n, cout, oh + 2, ow);
        assertEquals(BAD_PARAM, dnn("cudnnConvolutionBackwardData", handle, f(1f), wd, Emu.ptr(dw), dyd, Emu.ptr(dx), cd,
                0, MemorySegment.NULL, 0L, f(0f), wrongDx, Emu.ptr(dy)), "dy is not the forward output of dx");
    }

    @Test
    void batchNormActivationPoolingSoftmaxAndTensorOps() {
        int n = 2, c = 3, h = 5, w = 4, len = n * c * h * w;
        float[] x = random(len), gamma = random(c), beta = random(c), mean = random(c), var = new float[c];
        for (int i = 0; i < c; i++) var[i] = 0.5f + i;
        MemorySegment xd = tensor(n, c, h, w), pd = desc("cudnnCreateTensorDescriptor", "cudnnDestroyTensorDescriptor");
        check(dnn("cudnnDeriveBNTensorDescriptor", pd, xd, 1), "derive");
        long dx = dev(x), dy = devEmpty(len), dg = dev(gamma), db = dev(beta), dm = dev(mean), dv = dev(var);
        check(dnn("cudnnBatchNormalizationForwardInference", handle, 1, f(1f), f(0f), xd, Emu.ptr(dx), xd, Emu.ptr(dy), pd,
                Emu.ptr(dg), Emu.ptr(db), Emu.ptr(dm), Emu.ptr(dv), 1e-5), "BN");
        double[] ref = new double[len];
        for (int i = 0; i < len; i++) {
            int ch = (i / (h * w)) % c;
            ref[i] = (x[i] - mean[ch]) / Math.sqrt(var[ch] + 1e-5) * gamma[ch] + beta[ch];
        }
        assertClose(ref, Emu.download(dy, len), 1e-5, "BN");
        MemorySegment wrongParams = tensor(1, c, h, 1);
        assertEquals(BAD_PARAM, dnn("cudnnBatchNormalizationForwardInference", handle, 1, f(1f), f(0f), xd, Emu.ptr(dx), xd,
                Emu.ptr(dy), wrongParams, Emu.ptr(dg), Emu.ptr(db), Emu.ptr(dm), Emu.ptr(dv), 1e-5), "spatial BN needs 1xCx1x1");

        // add-tensor: per-channel bias broadcast; C = 1*A + 1*C
        MemorySegment bias1 = tensor(1, c, 1, 1);
        check(dnn("cudnnAddTensor", handle, f(1f), bias1, Emu.ptr(db), f(1f), xd, Emu.ptr(dy)), "add tensor");
        for (int i = 0; i < len; i++) ref[i] += beta[(i / (h * w)) % c];
        assertClose(ref, Emu.download(dy, len), 1e-5, "add tensor");
        MemorySegment wrongA = tensor(1, c, 2, 1);
        assertEquals(BAD_PARAM, dnn("cudnnAddTensor", handle, f(1f), wrongA, Emu.ptr(db), f(1f), xd, Emu.ptr(dy)),
                "A dimension neither 1 nor C's");

        // activations
        double[][] expect = new double[3][len];
        for (int i = 0; i < len; i++) {
            expect[0][i] = Math.max(0, x[i]);
            expect[1][i] = Math.min(Math.max(0, x[i] * 8), 6);
            expect[2][i] = 1 / (1 + Math.exp(-x[i]));
        }
        long scaled = devEmpty(len);
        float[] x8 = new float[len];
        for (int i = 0; i < len; i++) x8[i] = x[i] * 8;
        check(cu("cuMemcpyHtoD_v2", scaled, arena.allocateFrom(JAVA_FLOAT, x8), 4L * len), "upload");
        int[] modes = {1, 3, 0};
        long[] inputs = {dx, scaled, dx};
        for (int m = 0; m < 3; m++) {
            MemorySegment ad = activation(modes[m], 6.0);
            check(dnn("cudnnActivationForward", handle, ad, f(1f), xd, Emu.ptr(inputs[m]), f(0f), xd, Emu.ptr(dy)), "act " + m);
            assertClose(expect[m], Emu.download(dy, len), 1e-6, "activation mode " + modes[m]);
        }

        // pooling 3x3 stride 2 pad 1: max, average including and excluding padding
        MemorySegment pool = desc("cudnnCreatePoolingDescriptor", "cudnnDestroyPoolingDescriptor");
        int ph = (h + 2 - 3) / 2 + 1, pw = (w + 2 - 3) / 2 + 1;
        MemorySegment pyd = tensor(n, c, ph, pw);
        long py = devEmpty(n * c * ph * pw);
        for (int mode = 0; mode < 3; mode++) {
            check(dnn("cudnnSetPooling2dDescriptor", pool, mode, 0, 3, 3, 1, 1, 2, 2), "pool desc");
            check(dnn("cudnnPoolingForward", handle, pool, f(1f), xd, Emu.ptr(dx), f(0f), pyd, Emu.ptr(py)), "pool");
            double[] pref = new double[n * c * ph * pw];
            for (int p = 0; p < n * c; p++)
                for (int oy = 0; oy < ph; oy++)
                    for (int ox = 0; ox < pw; ox++) {
                        double acc = mode == 0 ? Double.NEGATIVE_INFINITY : 0;
                        int cnt = 0;
                        for (int ky = 0; ky < 3; ky++)
                            for (int kx = 0; kx < 3; kx++) {
                                int iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                double v = x[(p * h + iy) * w + ix];
                                acc = mode == 0 ? Math.max(acc, v) : acc + v;
                                cnt++;
                            }
                        pref[(p * ph + oy) * pw + ox] = mode == 0 ? acc : acc / (mode == 1 ? 9 : cnt);
                    }
            assertClose(pref, Emu.download(py, pref.length), 1e-6, "pool mode " + mode);
        }

        // softmax over channels of [n, 10, 1, 1]
        float[] logits = random(n * 10);
        MemorySegment sd = tensor(n, 10, 1, 1);
        long dl = dev(logits), ds = devEmpty(n * 10);
        check(dnn("cudnnSoftmaxForward", handle, 1, 1, f(1f), sd, Emu.ptr(dl), f(0f), sd, Emu.ptr(ds)), "softmax");
        double[] sref = new double[n * 10];
        for (int b = 0; b < n; b++) {
            double sum = 0;
            for (int j = 0; j < 10; j++) sum += Math.exp(logits[b * 10 + j]);
            for (int j = 0; j < 10; j++) sref[b * 10 + j] = Math.exp(logits[b * 10 + j]) / sum;
        }
        assertClose(sref, Emu.download(ds, n * 10), 1e-6, "softmax");
        assertEquals(BAD_PARAM, dnn("cudnnSetTensor4dDescriptor", sd, 0, 0, 0, 10, 1, 1), "zero batch");
    }

    @Test
    void capturedCudnnWorkReplaysAndInjectedFaultsSurface() {
        MemorySegment s = arena.allocate(ADDRESS);
        check(cu("cuStreamCreate", s, 1), "stream");
        MemorySegment stream = s.get(ADDRESS, 0);
        check(dnn("cudnnSetStream", handle, stream), "set stream");
        float[] x = random(16);
        MemorySegment xd = tensor(1, 4, 2, 2), ad = activation(1, 0);
        long dx = devEmpty(16), dy = devEmpty(16);
        MemorySegment host = arena.allocateFrom(JAVA_FLOAT, x);
        check(cu("cuStreamBeginCapture_v2", stream, 0), "begin");
        check(cu("cuMemcpyHtoDAsync_v2", dx, host, 64L, stream), "copy in");
        check(dnn("cudnnActivationForward", handle, ad, f(1f), xd, Emu.ptr(dx), f(0f), xd, Emu.ptr(dy)), "captured relu");
        MemorySegment g = arena.allocate(ADDRESS), exec = arena.allocate(ADDRESS);
        check(cu("cuStreamEndCapture", stream, g), "end");
        check(cu("cuGraphInstantiateWithFlags", exec, g.get(ADDRESS, 0), 0L), "instantiate");
        for (int i = 0; i < 16; i++) host.setAtIndex(JAVA_FLOAT, i, -x[i]);
        check(cu("cuGraphLaunch", exec.get(ADDRESS, 0), stream), "launch");
        double[] ref = new double[16];
        for (int i = 0; i < 16; i++) ref[i] = Math.max(0, -x[i]);
        assertClose(ref, Emu.download(dy, 16), 0, "relu replayed on the new input");
        check(cu("cuGraphExecDestroy", exec.get(ADDRESS, 0)), "exec destroy");
        check(cu("cuGraphDestroy", g.get(ADDRESS, 0)), "graph destroy");
        check(dnn("cudnnSetStream", handle, MemorySegment.NULL), "back to the default stream");
        check(cu("cuStreamDestroy_v2", stream), "stream destroy");

        Emu.fault("cudnnActivationForward", 2, 0, false);
        check(dnn("cudnnActivationForward", handle, ad, f(1f), xd, Emu.ptr(dx), f(0f), xd, Emu.ptr(dy)), "first call");
        assertEquals(INTERNAL_ERROR, dnn("cudnnActivationForward", handle, ad, f(1f), xd, Emu.ptr(dx), f(0f), xd, Emu.ptr(dy)));
        Emu.fault("cudnnCreateTensorDescriptor", 1, 2000, false);
        assertEquals(BAD_PARAM, dnn("cudnnCreateTensorDescriptor", arena.allocate(ADDRESS)), "fault with an explicit status");
        MemorySegment spare = arena.allocate(ADDRESS);
        check(dnn("cudnnCreateTensorDescriptor", spare), "create");
        Emu.fault("cudnnDestroyTensorDescriptor", 1, 0, false);
        assertEquals(INTERNAL_ERROR, dnn("cudnnDestroyTensorDescriptor", spare.get(ADDRESS, 0)), "a destroy honours a fault too");
        check(dnn("cudnnDestroyTensorDescriptor", spare.get(ADDRESS, 0)), "still alive after the failed destroy");
    }
}
