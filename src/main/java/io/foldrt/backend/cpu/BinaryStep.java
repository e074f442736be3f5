package io.foldrt.backend.cpu;

import io.foldrt.ir.Activation;
import java.util.ArrayList;
import java.util.List;

/**
 * Add or Mul with numpy broadcasting, optionally followed by a fused Relu/Clip (a residual add + ReLU is
 * then one pass). Dims along which both operands are laid out alike are merged, so the work becomes rows
 * of the output's last merged dim where each operand is either contiguous or a repeated scalar. The common
 * cases (same shape, as in residual adds; or a per-channel operand) then run as vectorizable loops that
 * index the output and the full operand from the same offset.
 */
final class BinaryStep implements Step {
    private final int a, b, y;
    private final boolean mul;
    private final Activation act;
    private final int[] shape, sa, sb;  // merged output dims and operand strides (0 = broadcast)
    private final int rows, len, chunks;

    BinaryStep(int a, int b, int y, int[] as, int[] bs, int[] ys, boolean mul, Activation act, int threads) {
        this.a = a;
        this.b = b;
        this.y = y;
        this.mul = mul;
        this.act = act;
        int[] ta = Broadcast.strides(as, ys), tb = Broadcast.strides(bs, ys);
        List<int[]> dims = new ArrayList<>(); // {size, strideA, strideB}, innermost last
        for (int d = 0; d < ys.length; d++) {
            if (ys[d] == 1) continue;
            int[] last = dims.isEmpty() ? null : dims.get(dims.size() - 1);
            if (last != null && last[1] == ta[d] * ys[d] && last[2] == tb[d] * ys[d]) {
                last[0] *= ys[d]; // dim d continues the previous one for both operands
                last[1] = ta[d];
                last[2] = tb[d];
            } else {
                dims.add(new int[] {ys[d], ta[d], tb[d]});
            }
        }
        if (dims.isEmpty()) dims.add(new int[] {1, 0, 0});
        int r = dims.size();
        shape = new int[r];
        sa = new int[r];
        sb = new int[r];
        for (int d = 0; d < r; d++) {
            shape[d] = dims.get(d)[0];
            sa[d] = dims.get(d)[1];
            sb[d] = dims.get(d)[2];
        }
        len = shape[r - 1];
        rows = (int) (io.foldrt.ir.Shapes.elementCount(shape) / len);
        chunks = Chunks.count(rows, len, threads);
    }

    @Override
    public void run(Frame f) {
        float[] av = f.get(a), bv = f.get(b), out = f.get(y);
        f.pool().parallelFor(chunks, (c, worker) -> {
            for (int row = Chunks.start(c, chunks, rows), end = Chunks.start(c + 1, chunks, rows); row < end; row++) {
                int ao = 0, bo = 0;
                for (int d = shape.length - 2, rem = row; d >= 0; d--) {
                    int i = rem % shape[d];
                    rem /= shape[d];
                    ao += i * sa[d];
                    bo += i * sb[d];
                }
                int o = row * len;
                int last = shape.length - 1;
                if (mul) mulRow(av, ao, sa[last], bv, bo, sb[last], out, o);
                else addRow(av, ao, sa[last], bv, bo, sb[last], out, o);
                ActivationLoops.apply(act, out, o, o + len);
            }
        });
    }

    private void addRow(float[] x, int xo, int xs, float[] z, int zo, int zs, float[] out, int o) {
        int end = o + len;
        if (xs == 1 && zs == 1 && xo == o && zo == o) {
            for (int i = o; i < end; i++) out[i] = x[i] + z[i];
        } else if (xs == 1 && zs == 0 && xo == o) {
            float s = z[zo];
            for (int i = o; i < end; i++) out[i] = x[i] + s;
        } else if (xs == 0 && zs == 1 && zo == o) {
            float s = x[xo];
            for (int i = o; i < end; i++) out[i] = s + z[i];
        } else {
            for (int i = 0; i < len; i++) out[o + i] = x[xo + i * xs] + z[zo + i * zs];
        }
    }

    private void mulRow(float[] x, int xo, int xs, float[] z, int zo, int zs, float[] out, int o) {
        int end = o + len;
        if (xs == 1 && zs == 1 && xo == o && zo == o) {
            for (int i = o; i < end; i++) out[i] = x[i] * z[i];
        } else if (xs == 1 && zs == 0 && xo == o) {
            float s = z[zo];
            for (int i = o; i < end; i++) out[i] = x[i] * s;
        } else if (xs == 0 && zs == 1 && zo == o) {
            float s = x[xo];
            for (int i = o; i < end; i++) out[i] = s * z[i];
        } else {
            for (int i = 0; i < len; i++) out[o + i] = x[xo + i * xs] * z[zo + i * zs];
        }
    }

    @Override
    public int[] reads() {
        return new int[] {a, b};
    }

    @Override
    public int[] writes() {
        return new int[] {y};
    }
}
