package io.foldrt.backend.cpu;

import io.foldrt.ir.Op;

/**
 * Softmax over one axis, or (coerce2d, ONNX opset &lt; 13) over all dims from the axis on. The input is
 * viewed as [outer, len, inner] and each of the outer*inner lanes is normalized after subtracting its
 * maximum; the exponentials are summed in float64.
 */
final class SoftmaxStep implements Step {
    private final int x, y, outer, len, inner, chunks;

    SoftmaxStep(int x, int y, int[] xs, Op.Softmax op, int threads) {
        this.x = x;
        this.y = y;
        int axis = op.axis() < 0 ? op.axis() + xs.length : op.axis();
        int o = 1, l = 1, in = 1;
        for (int i = 0; i < xs.length; i++) {
            if (i < axis) o *= xs[i];
            else if (i == axis || op.coerce2d()) l *= xs[i];
            else in *= xs[i];
        }
        outer = o;
        len = l;
        inner = in;
        chunks = Chunks.count(outer, (long) len * inner * 8, threads); // exp is costly: weight it
    }

    @Override
    public void run(Frame f) {
        float[] in = f.get(x), out = f.get(y);
        f.pool().parallelFor(chunks, (c, worker) -> {
            for (int o = Chunks.start(c, chunks, outer), end = Chunks.start(c + 1, chunks, outer); o < end; o++) {
                for (int lane = 0; lane < inner; lane++) lane(in, out, o * len * inner + lane);
            }
        });
    }

    private void lane(float[] in, float[] out, int base) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0, i = base; j < len; j++, i += inner) max = Math.max(max, in[i]);
        double sum = 0;
        for (int j = 0, i = base; j < len; j++, i += inner) {
            float e = (float) Math.exp(in[i] - max);
            out[i] = e;
            sum += e;
        }
        float scale = (float) (1 / sum);
        for (int j = 0, i = base; j < len; j++, i += inner) out[i] *= scale;
    }

    @Override
    public int[] reads() {
        return new int[] {x};
    }

    @Override
    public int[] writes() {
        return new int[] {y};
    }
}
