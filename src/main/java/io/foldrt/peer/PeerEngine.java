package io.foldrt.peer;

import io.foldrt.backend.Executable;
import java.nio.file.Path;
import java.util.List;

/**
 * Another inference engine that {@code foldrt bench --peers NAME} measures next to FoldRT, in the same run, on the
 * same ONNX file and inputs. Implementations are found with {@link java.util.ServiceLoader}; none ships in the main
 * jar, so FoldRT never depends on a peer's library (the ONNX Runtime peer is built by the {@code jmh} Maven profile,
 * see {@code bench/run}).
 */
public interface PeerEngine {
    /**
     * One configuration of the engine.
     *
     * @param name            short label, e.g. "NO_OPT"
     * @param fusesBatchNorm  true when this configuration folds BatchNorm into the convolution itself, so it is
     *                        compared with FoldRT folded; false when BatchNorm runs as its own operator (compared
     *                        with FoldRT separate)
     * @param description     one line for reports
     */
    record Variant(String name, boolean fusesBatchNorm, String description) {}

    /** The name used on the command line, e.g. "ort". */
    String name();

    /** Engine and version for reports, e.g. "ONNX Runtime 1.20.0 (CPU)". */
    String description();

    /** The configurations to measure, in order. */
    List<Variant> variants();

    /**
     * Loads {@code onnxFile} in {@code variant} for batch size {@code batch}, on the CPU with {@code threads}
     * intra-op threads. The returned executable's {@link Executable#time} times on the wall clock.
     *
     * @throws io.foldrt.ir.ModelException when the engine cannot load or run the model
     */
    Executable open(Path onnxFile, Variant variant, int threads, int batch);
}
