package io.foldrt.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.ir.ModelException;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {
    @TempDir
    Path dir;

    /** The header NumPy 2.x writes for a (2, 3) float32 array: the dict, space padding, '\n'; 128 bytes in all. */
    private static final String NUMPY_HEADER_2x3 =
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" + " ".repeat(58) + "\n";
    /** np.array([[0.5, -1.25, 3.0], [1e-3, -0.0, 65504.0]], '<f4') data bytes, as NumPy wrote them. */
    private static final String NUMPY_DATA_2x3 = "0000003f0000a0bf000040406f12833a0000008000e07f47";
    private static final float[] VALUES_2x3 = {0.5f, -1.25f, 3.0f, 1e-3f, -0.0f, 65504f};

    // ---- compatibility with NumPy ----

    @Test
    void readsTheBytesNumpyWrites() throws IOException {
        assertEquals(118, NUMPY_HEADER_2x3.length(), "fixture: NumPy's header length field for this array");
        Path f = file("np.npy", concat(prefix(1, NUMPY_HEADER_2x3.length()), ascii(NUMPY_HEADER_2x3), hex(NUMPY_DATA_2x3)));
        Tensor t = Npy.read(f);
        assertArrayEquals(new int[] {2, 3}, t.shape());
        assertBitsEqual(VALUES_2x3, t.data());
    }

    @Test
    void writesTheBytesNumpyWrites() throws IOException {
        // For these shapes NumPy's growth padding does not change the 64-byte rounding, so the files are identical.
        byte[] numpy = concat(prefix(1, NUMPY_HEADER_2x3.length()), ascii(NUMPY_HEADER_2x3), hex(NUMPY_DATA_2x3));
        assertArrayEquals(numpy, encode(Tensor.of(new int[] {2, 3}, VALUES_2x3)));
    }

    @Test
    void writtenHeaderFollowsTheFormat() throws IOException {
        for (int[] shape : new int[][] {{}, {7}, {1, 3, 224, 224}, {0, 5}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}}) {
            byte[] b = encode(Tensor.zeros(shape));
            int headerLen = (b[8] & 0xFF) | (b[9] & 0xFF) << 8;
            assertEquals(0, (10 + headerLen) % 64, "data must start 64-byte aligned");
            assertEquals('\n', b[10 + headerLen - 1]);
            String header = new String(b, 10, headerLen, StandardCharsets.ISO_8859_1);
            assertTrue(header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': " + Npy.tuple(shape) + ", }"),
                    header);
            assertEquals(10 + headerLen + 4L * Shapes.elementCount(shape), b.length);
        }
        assertEquals("()", Npy.tuple(new int[0]));
        assertEquals("(3,)", Npy.tuple(new int[] {3}));
        assertEquals("(2, 3)", Npy.tuple(new int[] {2, 3}));
    }

    @Test
    void convertsFloat64ToFloat32() throws IOException {
        // np.save(np.array([1.5, -2.0, 0.1], '<f8')): 0.1 rounds to the nearest float32.
        String h = "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }" + " ".repeat(60) + "\n";
        Path f = file("f8.npy", concat(prefix(1, h.length()), ascii(h), hex("000000000000f83f00000000000000c09a9999999999b93f")));
        assertBitsEqual(new float[] {1.5f, -2.0f, 0.1f}, Npy.read(f).data());
    }

    @Test
    void acceptsVersions2And3AndOddButValidHeaders() throws IOException {
        float[] v = {1f, 2f};
        byte[] data = le(v);
        // Version 2.0: 4-byte length. Double quotes, no trailing comma, different key order, 16-byte padding.
        String h2 = "{\"shape\": (2,), \"fortran_order\": False, \"descr\": \"<f4\"}   \n";
        assertBitsEqual(v, Npy.read(file("v2.npy", concat(prefix(2, h2.length()), ascii(h2), data))).data());
        // Version 3.0: UTF-8 header; Python 2 era 'L' suffix on the shape.
        String h3 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2L,), }\n";
        assertBitsEqual(v, Npy.read(file("v3.npy", concat(prefix(3, h3.length()), h3.getBytes(StandardCharsets.UTF_8), data))).data());
    }

    @Test
    void ignoresBytesAfterTheArrayAsNumpyDoes() throws IOException {
        byte[] one = encode(Tensor.of(new int[] {2}, 1f, 2f));
        byte[] two = encode(Tensor.of(new int[] {1}, 9f));
        assertBitsEqual(new float[] {1f, 2f}, Npy.read(file("two.npy", concat(one, two))).data());
    }

    // ---- round trips ----

    @Test
    void roundTripsShapesAndExactBits() {
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0.0f, Float.MIN_VALUE,
                Float.MAX_VALUE, Float.intBitsToFloat(0x7fc00123)};
        roundTrip(Tensor.of(new int[] {special.length}, special));
        roundTrip(Tensor.scalar(42.5f));
        roundTrip(Tensor.zeros(0, 3));
        roundTrip(Tensor.random(new SplittableRandom(1), -1f, 1f, 2, 3, 4, 5));
        // Larger than the 1 MiB I/O chunk, so the chunked loops run more than once.
        roundTrip(Tensor.random(new SplittableRandom(2), -1f, 1f, 3, 300, 301));
    }

    @Test
    void readsLargeFloat64AcrossChunks() throws IOException {
        int n = 200_003; // 1.6 MB of doubles, not a multiple of the chunk
        ByteBuffer b = ByteBuffer.allocate(n * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) b.putDouble(i * 0.25);
        String h = header("<f8", "False", "(" + n + ",)");
        Tensor t = Npy.read(file("big8.npy", concat(prefix(1, h.length()), ascii(h), b.array())));
        assertEquals(n, t.size());
        for (int i = 0; i < n; i += 9973) assertEquals(i * 0.25f, t.data()[i]);
        assertEquals((n - 1) * 0.25f, t.data()[n - 1]);
    }

    @Test
    void shapeCheckAcceptsAnyBatch() {
        Path f = dir.resolve("x.npy");
        Npy.write(f, Tensor.zeros(4, 3));
        assertArrayEquals(new int[] {4, 3}, Npy.read(f, new int[] {Shapes.BATCH, 3}).shape());
    }

    // ---- errors: one line, naming the file and what was expected ----

    @Test
    void missingFileAndDirectory() {
        Path missing = dir.resolve("nope.npy");
        assertError(missing + ": no such file", () -> Npy.read(missing));
        assertError(dir + ": is a directory, expected a .npy file", () -> Npy.read(dir));
    }

    @Test
    void emptyAndBadMagic() throws IOException {
        Path empty = file("empty.npy", new byte[0]);
        assertError(empty + ": is empty, expected a .npy file", () -> Npy.read(empty));
        Path text = file("text.npy", ascii("hello, world\n"));
        assertError(text + ": not a NumPy .npy file (it does not start with \\x93NUMPY)", () -> Npy.read(text));
    }

    @Test
    void truncatedHeader() throws IOException {
        byte[] full = encode(Tensor.zeros(2, 3));
        Path cutMagic = file("cut4.npy", java.util.Arrays.copyOf(full, 4));
        assertError(cutMagic + ": truncated header (file is 4 bytes long)", () -> Npy.read(cutMagic));
        Path cutLen = file("cut9.npy", java.util.Arrays.copyOf(full, 9));
        assertError(cutLen + ": truncated header (file ends inside the header length)", () -> Npy.read(cutLen));
        Path cutDict = file("cut50.npy", java.util.Arrays.copyOf(full, 50));
        assertError(cutDict + ": truncated header (expected 118 header bytes, file has 40)", () -> Npy.read(cutDict));
    }

    @Test
    void truncatedData() throws IOException {
        byte[] full = encode(Tensor.zeros(2, 3));
        Path f = file("short.npy", java.util.Arrays.copyOf(full, full.length - 5));
        assertError(f + ": truncated data (shape [2,3] of float32 needs 24 bytes after the header, file has 19)",
                () -> Npy.read(f));
    }

    @Test
    void wrongDtypes() throws IOException {
        assertEquals(": has dtype '<i8'; expected float32 ('<f4') or float64 ('<f8')", errorFor("'<i8'", "False", "(2,)"));
        assertEquals(": has dtype '<f2'; expected float32 ('<f4') or float64 ('<f8')", errorFor("'<f2'", "False", "(2,)"));
        assertEquals(": holds big-endian data ('>f4'); expected little-endian float32 ('<f4'), e.g. a.astype('<f4')",
                errorFor("'>f4'", "False", "(2,)"));
        assertEquals(": holds a Python object array; expected float32 ('<f4') or float64 ('<f8')",
                errorFor("'|O'", "False", "(2,)"));
        assertEquals(": holds a structured array; expected float32 ('<f4') or float64 ('<f8')",
                errorFor("[('a', '<f4')]", "False", "(2,)"));
    }

    @Test
    void fortranOrderAndVersionAndMalformedHeaders() throws IOException {
        assertEquals(": is in Fortran order; expected C order (save np.ascontiguousarray(a))",
                errorFor("'<f4'", "True", "(2, 3)"));
        assertEquals(": malformed header: shape [2, -3] must hold non-negative integers",
                errorFor("'<f4'", "False", "(2, -3)"));
        assertEquals(": malformed header: unexpected key extra (expected descr, fortran_order, shape)",
                errorFor("extra.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}\n"));
        assertEquals(": malformed header: missing key 'shape'",
                errorFor("noshape.npy", "{'descr': '<f4', 'fortran_order': False}\n"));
        assertEquals(": malformed header: unexpected character 'x' at character 1",
                errorFor("garbage.npy", "{x}\n"));
        byte[] v4 = encode(Tensor.zeros(1));
        v4[6] = 4;
        Path f = file("v4.npy", v4);
        assertError(f + ": unsupported .npy format version 4.0 (expected 1.0, 2.0 or 3.0)", () -> Npy.read(f));
    }

    @Test
    void float64OutOfFloat32Range() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(1.0).putDouble(1e300);
        String h = header("<f8", "False", "(2,)");
        Path f = file("huge.npy", concat(prefix(1, h.length()), ascii(h), b.array()));
        assertError(f + ": float64 value 1.0E300 at index 1 is outside the float32 range", () -> Npy.read(f));
    }

    @Test
    void shapeMismatchNamesTheExpectedShape() {
        Path f = dir.resolve("x.npy");
        Npy.write(f, Tensor.zeros(1, 3, 32, 32));
        assertError(f + ": has shape [1,3,32,32], expected [N,3,224,224] (N = any batch size)",
                () -> Npy.read(f, new int[] {Shapes.BATCH, 3, 224, 224}));
        assertError(f + ": has shape [1,3,32,32], expected [3,32,32]", () -> Npy.read(f, new int[] {3, 32, 32}));
    }

    @Test
    void unreadableFile() throws IOException {
        Path f = dir.resolve("locked.npy");
        Npy.write(f, Tensor.zeros(2));
        Path target = io.foldrt.testing.UnreadableFiles.make(f);
        ModelException e = assertThrows(ModelException.class, () -> Npy.read(target));
        assertTrue(e.getMessage().startsWith(target + ": cannot read ("), e.getMessage());
        assertTrue(e.getMessage().endsWith(")") && !e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void writeRefusesToOverwriteAnInput() {
        Path in = dir.resolve("in.npy");
        Npy.write(in, Tensor.zeros(2));
        assertError(in + ": output path is the input file; refusing to overwrite it",
                () -> Npy.write(in, Tensor.zeros(3), in));
        assertArrayEquals(new int[] {2}, Npy.read(in).shape(), "the input must be untouched");
    }

    // ---- helpers ----

    private void roundTrip(Tensor t) {
        Path f = dir.resolve("rt.npy");
        Npy.write(f, t);
        Tensor back = Npy.read(f);
        assertArrayEquals(t.shape(), back.shape());
        assertBitsEqual(t.data(), back.data());
    }

    private static void assertBitsEqual(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]), "index " + i);
        }
    }

    private static void assertError(String expected, Runnable r) {
        ModelException e = assertThrows(ModelException.class, r::run);
        assertEquals(expected, e.getMessage());
    }

    /** Reads a file with the given header fields and 8 bytes of data; returns the error after the file name. */
    private String errorFor(String descr, String fortran, String shape) throws IOException {
        String h = "{'descr': " + descr + ", 'fortran_order': " + fortran + ", 'shape': " + shape + ", }\n";
        return errorFor("h" + Integer.toHexString(h.hashCode()) + ".npy", h);
    }

    private String errorFor(String name, String h) throws IOException {
        Path f = file(name, concat(prefix(1, h.length()), ascii(h), new byte[8]));
        ModelException e = assertThrows(ModelException.class, () -> Npy.read(f));
        assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
        return e.getMessage().substring(f.toString().length());
    }

    private static String header(String descr, String fortran, String shape) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
        int total = (10 + dict.length() + 1 + 63) / 64 * 64;
        return dict + " ".repeat(total - 10 - dict.length() - 1) + "\n";
    }

    private static byte[] prefix(int major, int headerLen) {
        ByteBuffer b = ByteBuffer.allocate(major == 1 ? 10 : 12).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) b.putShort((short) headerLen); else b.putInt(headerLen);
        return b.array();
    }

    private static byte[] le(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.array();
    }

    private static byte[] encode(Tensor t) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Npy.write(out, t);
        return out.toByteArray();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }

    private Path file(String name, byte[] content) throws IOException {
        return Files.write(dir.resolve(name), content);
    }
}
