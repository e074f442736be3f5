package io.foldrt.ir;

/** Explicit 2-D padding in ONNX order [top, left, bottom, right]; auto_pad is resolved by the importer. */
public record Pads(int top, int left, int bottom, int right) {
    public static final Pads NONE = new Pads(0, 0, 0, 0);

    public static Pads of(int all) {
        return new Pads(all, all, all, all);
    }

    public boolean isZero() {
        return top == 0 && left == 0 && bottom == 0 && right == 0;
    }

    @Override
    public String toString() {
        return "[" + top + "," + left + "," + bottom + "," + right + "]";
    }
}
