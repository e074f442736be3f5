package io.foldrt.backend.cpu;

/** Concat: for each index before the axis, each input contributes one contiguous run of the output. */
final class ConcatStep implements Step {
    private final int[] xs;
    private final int y, outer, outRun;
    private final int[] runs; // per input: axis size x inner

    ConcatStep(int[] inputs, int y, int[][] shapes, int[] ys, int axisArg) {
        this.xs = inputs.clone();
        this.y = y;
        int axis = axisArg < 0 ? axisArg + ys.length : axisArg;
        int o = 1, inner = 1;
        for (int i = 0; i < axis; i++) o *= ys[i];
        for (int i = axis + 1; i < ys.length; i++) inner *= ys[i];
        outer = o;
        outRun = ys[axis] * inner;
        runs = new int[inputs.length];
        for (int i = 0; i < inputs.length; i++) runs[i] = shapes[i][axis] * inner;
    }

    @Override
    public void run(Frame f) {
        float[] out = f.get(y);
        for (int i = 0, off = 0; i < xs.length; off += runs[i], i++) {
            float[] in = f.get(xs[i]);
            for (int o = 0; o < outer; o++) System.arraycopy(in, o * runs[i], out, o * outRun + off, runs[i]);
        }
    }

    @Override
    public int[] reads() {
        return xs.clone();
    }

    @Override
    public int[] writes() {
        return new int[] {y};
    }
}
