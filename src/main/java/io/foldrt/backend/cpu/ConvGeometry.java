package io.foldrt.backend.cpu;

import java.util.Arrays;

/**
 * Sliding-window geometry of one 2-D conv (or pool): input plane h x w, kernel kh x kw, strides, dilations,
 * leading pads and output plane oh x ow. Bottom/right pads are implied by the output size.
 */
record ConvGeometry(int h, int w, int kh, int kw, int sh, int sw, int dh, int dw, int pt, int pl, int oh, int ow) {

    /** Number of taps t in [0, k) with {@code lo <= start + t*d < hi}, counted from the first such tap. */
    static int firstTap(int start, int d, int lo) {
        return start >= lo ? 0 : (lo - start + d - 1) / d;
    }

    /** One past the last tap t in [0, k) with {@code start + t*d < hi}. */
    static int endTap(int start, int d, int hi, int k) {
        if (start >= hi) return 0;
        return Math.min(k, (hi - 1 - start) / d + 1);
    }

    /**
     * dst[d0 + t] = row[ix0 + t*stride] for t in [0, n), {@code fill} where the index falls outside [0, width):
     * one output row's worth of a kernel tap. Unit stride is a bulk copy between filled edges.
     */
    static void gatherRow(float[] src, int rowBase, int width, int ix0, int stride, float[] dst, int d0, int n,
                          float fill) {
        if (stride == 1) {
            int lo = Math.clamp(-ix0, 0, n), hi = Math.clamp(width - ix0, 0, n);
            if (hi <= lo) {
                Arrays.fill(dst, d0, d0 + n, fill);
                return;
            }
            if (lo > 0) Arrays.fill(dst, d0, d0 + lo, fill);
            System.arraycopy(src, rowBase + ix0 + lo, dst, d0 + lo, hi - lo);
            if (hi < n) Arrays.fill(dst, d0 + hi, d0 + n, fill);
        } else {
            // The in-range taps form one run [lo, hi): fill around it and copy it without a test per element
            // (a strided read stays scalar, but the branch-free loop runs about twice as fast).
            int lo = Math.min(n, firstTap(ix0, stride, 0)), hi = Math.max(lo, endTap(ix0, stride, width, n));
            Arrays.fill(dst, d0, d0 + lo, fill);
            for (int t = lo, s = rowBase + ix0 + lo * stride; t < hi; t++, s += stride) dst[d0 + t] = src[s];
            Arrays.fill(dst, d0 + hi, d0 + n, fill);
        }
    }
}
