package io.foldrt.backend.cpu;

/** Mean of each [H, W] plane, summed in float64 (the planes are long and the op is cheap). */
final class GlobalAveragePoolStep implements Step {
    private final int x, y, planes, plane, chunks;

    GlobalAveragePoolStep(int x, int y, int[] xs, int threads) {
        this.x = x;
        this.y = y;
        this.planes = xs[0] * xs[1];
        this.plane = xs[2] * xs[3];
        this.chunks = Chunks.count(planes, plane, threads);
    }

    @Override
    public void run(Frame f) {
        float[] in = f.get(x), out = f.get(y);
        f.pool().parallelFor(chunks, (c, worker) -> {
            for (int p = Chunks.start(c, chunks, planes), end = Chunks.start(c + 1, chunks, planes); p < end; p++) {
                double sum = 0;
                for (int i = p * plane, e = i + plane; i < e; i++) sum += in[i];
                out[p] = (float) (sum / plane);
            }
        });
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
