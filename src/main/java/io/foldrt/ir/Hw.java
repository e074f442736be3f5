package io.foldrt.ir;

/** A (height, width) pair: kernel size, strides, dilations or output padding of a 2-D op. */
public record Hw(int h, int w) {
    public static final Hw ONE = new Hw(1, 1);
    public static final Hw ZERO = new Hw(0, 0);

    public static Hw of(int both) {
        return new Hw(both, both);
    }

    @Override
    public String toString() {
        return h + "x" + w;
    }
}
