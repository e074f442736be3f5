package io.foldrt.onnx;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.UnsafeByteOperations;
import io.foldrt.ir.Graph;
import io.foldrt.ir.ModelException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Function;

/**
 * Reads ONNX models (default domain, opsets 9 to 21) into the FoldRT IR.
 *
 * <p>Supported: the ops of {@link io.foldrt.ir.Op} with their ONNX attributes and defaults (auto_pad is
 * resolved to explicit pads from the static spatial dims), float32 initializers in raw_data or typed fields,
 * int64 constants where a shape is needed, Constant nodes, Identity nodes over constants (resolved to the
 * constant), graph inputs that are also initializers (treated as constants) and a symbolic batch dimension.
 * The result has passed shape inference at batch 1.
 *
 * <p>Everything wrong with the input is reported as an {@link OnnxFormatException} whose one-line message
 * names the file and the node, tensor or field.
 */
public final class OnnxImporter {
    private OnnxImporter() {}

    /**
     * Reads and converts an ONNX file. The file is memory-mapped, so its bytes stay outside the Java heap:
     * the heap holds the float weights once, not the file as well.
     */
    public static Graph load(Path file) {
        return guarded(file.toString(), map(file), OnnxImporter::convert);
    }

    /** Converts ONNX model bytes; {@code sourceName} names them in error messages. */
    public static Graph parse(byte[] bytes, String sourceName) {
        return guarded(sourceName, ByteBuffer.wrap(bytes), OnnxImporter::convert);
    }

    /** The default-domain opset an ONNX file imports, so a rewritten model can keep it. */
    public static int opsetOf(Path file) {
        return guarded(file.toString(), map(file), OnnxImporter::defaultOpset);
    }

    /** The default-domain opset of ONNX model bytes. */
    public static int opsetOf(byte[] bytes, String sourceName) {
        return guarded(sourceName, ByteBuffer.wrap(bytes), OnnxImporter::defaultOpset);
    }

    private static Graph convert(ModelProto m) {
        return new GraphImporter(m.getGraph(), defaultOpset(m)).convert();
    }

    private static <T> T guarded(String source, ByteBuffer bytes, Function<ModelProto, T> body) {
        try {
            return body.apply(decode(bytes, source));
        } catch (OnnxFormatException e) {
            throw e;
        } catch (ModelException e) {
            throw fail(source, e.getMessage(), e);
        } catch (RuntimeException | StackOverflowError e) {
            // A last resort so that callers only ever see ModelException; the tests check it is never reached.
            throw fail(source, "cannot import: unexpected " + e.getClass().getName() + " (" + e.getMessage()
                    + "); this is a FoldRT bug", e);
        }
    }

    private static OnnxFormatException fail(String source, String what, Throwable cause) {
        return new OnnxFormatException(Names.clean(source) + ": " + oneLine(what), cause);
    }

    private static String oneLine(String s) {
        return String.valueOf(s).replaceAll("\\R", " ");
    }

    /**
     * The file's bytes, mapped read-only; the mapping outlives the channel until it is collected. The file
     * must not be truncated while it is being imported (as with any memory-mapped read).
     */
    private static ByteBuffer map(Path file) {
        String src = file.toString();
        if (Files.isDirectory(file)) throw fail(src, "is a directory; expected an ONNX model file", null);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (!Files.isRegularFile(file)) throw fail(src, "is not a regular file; expected an ONNX model file", null);
            long size = ch.size();
            if (size > Integer.MAX_VALUE - 8) {
                throw fail(src, "is larger than 2 GiB; ONNX keeps weights of such models as external data, which FoldRT does not read", null);
            }
            try {
                return ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            } catch (IOException | UnsupportedOperationException e) {
                // Some file systems cannot map files: read the bytes into the heap instead.
                ByteBuffer heap = ByteBuffer.allocate((int) size);
                while (heap.hasRemaining() && ch.read(heap) >= 0) { /* fill */ }
                return heap.flip();
            }
        } catch (NoSuchFileException e) {
            throw fail(src, "no such file", e);
        } catch (IOException e) {
            throw fail(src, "cannot read (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Decodes the protobuf. Weights stay views into {@code bytes} until converted to floats: protobuf only
     * aliases (rather than copies) bytes fields of input it may treat as immutable, which is what wrapping
     * the buffer as a ByteString declares.
     */
    private static ModelProto decode(ByteBuffer bytes, String src) {
        if (!bytes.hasRemaining()) throw fail(src, "is empty; expected an ONNX model", null);
        ModelProto m;
        try {
            CodedInputStream in = UnsafeByteOperations.unsafeWrap(bytes).newCodedInput();
            in.enableAliasing(true);
            m = ModelProto.parseFrom(in);
        } catch (IOException e) { // InvalidProtocolBufferException; reading a buffer does no other I/O
            String why = e.getMessage() != null && e.getMessage().contains("ended unexpectedly")
                    ? "the data ends in the middle of a field (truncated file?)" : e.getMessage();
            throw fail(src, "is not a valid ONNX model: protobuf decoding failed: " + why, e);
        }
        if (!m.hasGraph()) {
            throw fail(src, "is not an ONNX model: the protobuf has no graph (field 'graph' of ModelProto is missing)", null);
        }
        if (!m.hasIrVersion() || m.getIrVersion() < 3) {
            throw fail(src, "is not a usable ONNX model: ir_version is " + (m.hasIrVersion() ? m.getIrVersion() : "missing")
                    + "; expected 3 or newer", null);
        }
        return m;
    }

    private static int defaultOpset(ModelProto m) {
        Long version = null;
        for (OperatorSetIdProto o : m.getOpsetImportList()) {
            if (!o.getDomain().isEmpty() && !o.getDomain().equals("ai.onnx")) continue;
            if (version != null && version != o.getVersion()) {
                throw new ModelException("opset_import lists the default domain twice (" + version + " and " + o.getVersion() + ")");
            }
            version = o.getVersion();
        }
        if (version == null) throw new ModelException("opset_import has no entry for the default ONNX domain ''");
        if (version < OnnxVersions.MIN_OPSET || version > OnnxVersions.MAX_OPSET) {
            throw new ModelException("opset_import: default-domain opset " + version + " is not supported; FoldRT reads opsets "
                    + OnnxVersions.MIN_OPSET + " to " + OnnxVersions.MAX_OPSET);
        }
        return version.intValue();
    }
}
