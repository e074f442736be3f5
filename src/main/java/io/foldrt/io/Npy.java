package io.foldrt.io;

import io.foldrt.ir.ModelException;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Reads and writes NumPy {@code .npy} files holding one float32 tensor.
 *
 * <p><b>Reading</b> accepts format versions 1.0, 2.0 and 3.0, C order, and the dtypes
 * <ul>
 *   <li>{@code <f4} (little-endian float32), loaded as is;</li>
 *   <li>{@code <f8} (little-endian float64), converted to float32 by rounding to nearest. NumPy creates float64
 *       by default ({@code np.random.rand}, {@code np.array([0.5])}), so refusing it would make most
 *       hand-made inputs fail; a value outside the float32 range is refused rather than turned into
 *       infinity.</li>
 * </ul>
 * Everything else is refused with a one-line {@link ModelException} that names the file and what was
 * expected: Fortran order, big-endian data, other dtypes, object and structured arrays. Bytes after the
 * array are ignored, as {@code np.load} does (several arrays saved one after another into one file).
 *
 * <p><b>Writing</b> always produces version 1.0 (2.0 only if the header would not fit), {@code <f4}, C order,
 * header keys in NumPy's order and the header padded with spaces and a final {@code '\n'} to a multiple of
 * 64 bytes, so that {@code np.load} reads it and the data is aligned. Files are written atomically through
 * {@link AtomicFiles}.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** NumPy aligns the start of the data to this many bytes. */
    private static final int ALIGN = 64;
    /** A sane bound: real headers are about 100 bytes; a huge length means a corrupt or hostile file. */
    private static final int MAX_HEADER = 1 << 20;
    private static final int CHUNK = 1 << 20;

    private Npy() {}

    /** Reads a float32 tensor of any shape. */
    public static Tensor read(Path file) {
        return read(file, null);
    }

    /**
     * Reads a float32 tensor and checks its shape against {@code expected} (null for any shape), in which a
     * {@link Shapes#BATCH} entry matches any size. The shape is checked before the data is read.
     */
    public static Tensor read(Path file, int[] expected) {
        if (!Files.exists(file)) {
            if (Files.isSymbolicLink(file)) throw fail(file, "is a broken symbolic link");
            throw fail(file, "no such file");
        }
        if (Files.isDirectory(file)) throw fail(file, "is a directory, expected a .npy file");
        if (!Files.isRegularFile(file)) throw fail(file, "is not a regular file, expected a .npy file");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return read(file, ch, expected);
        } catch (IOException e) {
            throw fail(file, "cannot read (" + reason(e) + ")");
        }
    }

    /** Writes {@code tensor} atomically; refuses to write over any of {@code inputsNotToOverwrite}. */
    public static void write(Path file, Tensor tensor, Path... inputsNotToOverwrite) {
        AtomicFiles.write(file, out -> write(out, tensor), inputsNotToOverwrite);
    }

    /** Writes {@code tensor} in .npy format to a stream (not closed). */
    public static void write(OutputStream out, Tensor tensor) throws IOException {
        out.write(header(tensor.shape()));
        float[] data = tensor.data();
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, Math.max(4L, data.length * 4L))).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < data.length; ) {
            buf.clear();
            int n = Math.min(data.length - i, buf.capacity() / 4);
            buf.asFloatBuffer().put(data, i, n);
            out.write(buf.array(), 0, n * 4);
            i += n;
        }
    }

    /** The magic, version, length and padded header dict for a C-order {@code <f4} array. */
    static byte[] header(int[] shape) {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + tuple(shape) + ", }";
        int prefix = 10; // magic 6 + version 2 + uint16 length
        int total = roundUp(prefix + dict.length() + 1, ALIGN);
        int major = 1;
        if (total - prefix > 0xFFFF) {
            prefix = 12; // version 2.0 has a uint32 length
            total = roundUp(prefix + dict.length() + 1, ALIGN);
            major = 2;
        }
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) major).put((byte) 0);
        if (major == 1) b.putShort((short) (total - prefix)); else b.putInt(total - prefix);
        b.put(dict.getBytes(StandardCharsets.ISO_8859_1));
        while (b.position() < total - 1) b.put((byte) ' ');
        b.put((byte) '\n');
        return b.array();
    }

    /** Python's repr of a shape tuple: (), (3,), (2, 3). */
    static String tuple(int[] shape) {
        if (shape.length == 1) return "(" + shape[0] + ",)";
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) sb.append(", ");
            sb.append(shape[i]);
        }
        return sb.append(')').toString();
    }

    private static int roundUp(int n, int to) {
        return (n + to - 1) / to * to;
    }

    // ---- reading ----

    private static Tensor read(Path file, FileChannel ch, int[] expected) throws IOException {
        ByteBuffer start = ByteBuffer.allocate(8);
        int got = readFully(ch, start);
        for (int i = 0; i < Math.min(got, MAGIC.length); i++) {
            if (start.get(i) != MAGIC[i]) throw fail(file, "not a NumPy .npy file (it does not start with \\x93NUMPY)");
        }
        if (got == 0) throw fail(file, "is empty, expected a .npy file");
        if (got < 8) throw fail(file, "truncated header (file is " + got + " bytes long)");
        int major = start.get(6) & 0xFF, minor = start.get(7) & 0xFF;
        if (minor != 0 || major < 1 || major > 3) {
            throw fail(file, "unsupported .npy format version " + major + "." + minor + " (expected 1.0, 2.0 or 3.0)");
        }
        ByteBuffer len = ByteBuffer.allocate(major == 1 ? 2 : 4).order(ByteOrder.LITTLE_ENDIAN);
        if (readFully(ch, len) < len.capacity()) throw fail(file, "truncated header (file ends inside the header length)");
        long headerLen = major == 1 ? len.getShort(0) & 0xFFFF : len.getInt(0) & 0xFFFFFFFFL;
        if (headerLen > MAX_HEADER) throw fail(file, "header length " + headerLen + " is implausibly large");
        ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
        int hgot = readFully(ch, hb);
        if (hgot < headerLen) {
            throw fail(file, "truncated header (expected " + headerLen + " header bytes, file has " + hgot + ")");
        }
        // Versions 1 and 2 store the header in latin-1; version 3 in UTF-8.
        String text = new String(hb.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        NpyHeader.Fields h;
        try {
            h = NpyHeader.parse(text);
        } catch (IllegalArgumentException e) {
            throw fail(file, "malformed header: " + e.getMessage());
        }
        int itemSize = itemSize(file, h.descr());
        if (!Boolean.FALSE.equals(h.fortranOrder())) {
            if (Boolean.TRUE.equals(h.fortranOrder())) {
                throw fail(file, "is in Fortran order; expected C order (save np.ascontiguousarray(a))");
            }
            throw fail(file, "malformed header: fortran_order is " + h.fortranOrder() + ", expected True or False");
        }
        int[] shape = shape(file, h.shape());
        if (expected != null && !matches(expected, shape)) {
            throw fail(file, "has shape " + Shapes.str(shape) + ", expected " + Shapes.str(expected)
                    + (contains(expected, Shapes.BATCH) ? " (N = any batch size)" : ""));
        }
        long count = count(file, shape);
        float[] data = new float[(int) count];
        readData(file, ch, data, itemSize, shape);
        return new Tensor(shape, data);
    }

    private static int itemSize(Path file, Object descr) {
        if (descr instanceof List<?>) {
            throw fail(file, "holds a structured array; expected float32 ('<f4') or float64 ('<f8')");
        }
        if (!(descr instanceof String d)) throw fail(file, "malformed header: descr is " + descr + ", expected a string");
        return switch (d) {
            case "<f4" -> 4;
            case "<f8" -> 8;
            case ">f4", ">f8" -> throw fail(file, "holds big-endian data ('" + d
                    + "'); expected little-endian float32 ('<f4'), e.g. a.astype('<f4')");
            case "|O", "O" -> throw fail(file, "holds a Python object array; expected float32 ('<f4') or float64 ('<f8')");
            default -> throw fail(file, "has dtype '" + d + "'; expected float32 ('<f4') or float64 ('<f8')");
        };
    }

    private static int[] shape(Path file, Object shape) {
        if (!(shape instanceof List<?> dims)) throw fail(file, "malformed header: shape is " + shape + ", expected a tuple");
        int[] s = new int[dims.size()];
        for (int i = 0; i < s.length; i++) {
            if (!(dims.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) {
                throw fail(file, "malformed header: shape " + dims + " must hold non-negative integers");
            }
            s[i] = (int) (long) d;
        }
        return s;
    }

    private static long count(Path file, int[] shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
            // Java arrays hold at most about 2^31 elements.
            if (n > Integer.MAX_VALUE - 8) throw fail(file, "shape " + Shapes.str(shape) + " is too large to load");
        }
        return n;
    }

    private static void readData(Path file, FileChannel ch, float[] out, int itemSize, int[] shape) throws IOException {
        long need = (long) out.length * itemSize;
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, Math.max(itemSize, need))).order(ByteOrder.LITTLE_ENDIAN);
        long done = 0;
        int i = 0;
        while (done < need) {
            buf.clear();
            buf.limit((int) Math.min(buf.capacity(), need - done));
            int n = readFully(ch, buf);
            done += n;
            if (n < buf.limit()) {
                throw fail(file, "truncated data (shape " + Shapes.str(shape) + " of " + (itemSize == 4 ? "float32" : "float64")
                        + " needs " + need + " bytes after the header, file has " + done + ")");
            }
            buf.flip();
            if (itemSize == 4) {
                int k = n / 4;
                buf.asFloatBuffer().get(out, i, k);
                i += k;
            } else {
                while (buf.remaining() >= 8) {
                    double v = buf.getDouble();
                    float f = (float) v;
                    if (Float.isInfinite(f) && !Double.isInfinite(v)) {
                        throw fail(file, "float64 value " + v + " at index " + i + " is outside the float32 range");
                    }
                    out[i++] = f;
                }
            }
        }
    }

    /** Reads until the buffer is full or the file ends; returns the bytes read. */
    private static int readFully(FileChannel ch, ByteBuffer b) throws IOException {
        int total = 0;
        while (b.hasRemaining()) {
            int n = ch.read(b);
            if (n < 0) break;
            total += n;
        }
        return total;
    }

    private static boolean matches(int[] expected, int[] actual) {
        if (expected.length != actual.length) return false;
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] != Shapes.BATCH && expected[i] != actual[i]) return false;
        }
        return true;
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) if (x == v) return true;
        return false;
    }

    static String reason(IOException e) {
        if (e instanceof AccessDeniedException) return "permission denied";
        if (e instanceof NoSuchFileException) return "no such file";
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m.replaceAll("\\R+", " ");
    }

    private static ModelException fail(Path file, String what) {
        return new ModelException(file + ": " + what);
    }
}
