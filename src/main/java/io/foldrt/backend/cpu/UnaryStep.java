package io.foldrt.backend.cpu;

import io.foldrt.ir.Activation;

/** Element-wise Relu, Clip (as an {@link Activation}) or Sigmoid, split into chunks across threads. */
final class UnaryStep implements Step {
    private final int x, y, size, chunks;
    private final Activation act; // null for Sigmoid

    private UnaryStep(int x, int y, int size, Activation act, int threads) {
        this.x = x;
        this.y = y;
        this.size = size;
        this.act = act;
        this.chunks = Chunks.count(size, 1, threads);
    }

    static UnaryStep activation(int x, int y, int size, Activation act, int threads) {
        return new UnaryStep(x, y, size, act, threads);
    }

    static UnaryStep sigmoid(int x, int y, int size, int threads) {
        return new UnaryStep(x, y, size, null, threads);
    }

    @Override
    public void run(Frame f) {
        float[] in = f.get(x), out = f.get(y);
        f.pool().parallelFor(chunks, (c, worker) -> {
            int from = Chunks.start(c, chunks, size), to = Chunks.start(c + 1, chunks, size);
            if (act != null) {
                ActivationLoops.map(act, in, out, from, to);
            } else {
                for (int i = from; i < to; i++) out[i] = (float) (1 / (1 + Math.exp(-in[i])));
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
