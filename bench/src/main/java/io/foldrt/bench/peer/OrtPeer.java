package io.foldrt.bench.peer;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions.ExecutionMode;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import io.foldrt.backend.Executable;
import io.foldrt.ir.ModelException;
import io.foldrt.peer.PeerEngine;
import java.nio.file.Path;
import java.util.List;

/**
 * ONNX Runtime (Java API, CPU execution provider) as a peer of {@code foldrt bench --peers ort}, in two
 * configurations: {@code NO_OPT} (graph optimizations off, so BatchNormalization runs as its own kernel, like
 * FoldRT separate) and {@code ALL_OPT} (every graph optimization, including ONNX Runtime's own Conv+BatchNorm
 * fusion, like FoldRT folded). Intra-op threads as FoldRT's, one inter-op thread, sequential execution.
 */
public final class OrtPeer implements PeerEngine {
    static final Variant NO_OPT = new Variant("NO_OPT", false, "graph optimizations off (BatchNorm as its own op)");
    static final Variant ALL_OPT = new Variant("ALL_OPT", true, "all graph optimizations (its own Conv+BN fusion)");

    @Override
    public String name() {
        return "ort";
    }

    @Override
    public String description() {
        return "ONNX Runtime " + OrtEnvironment.getEnvironment().getVersion() + " (Java API, CPU)";
    }

    @Override
    public List<Variant> variants() {
        return List.of(NO_OPT, ALL_OPT);
    }

    @Override
    public Executable open(Path onnxFile, Variant variant, int threads, int batch) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setOptimizationLevel(variant.fusesBatchNorm() ? OptLevel.ALL_OPT : OptLevel.NO_OPT);
            opts.setIntraOpNumThreads(threads);
            opts.setInterOpNumThreads(1);
            opts.setExecutionMode(ExecutionMode.SEQUENTIAL);
            // By default ONNX Runtime's workers keep spinning (up to 2^20 pause loops) after a run returns,
            // on a 2-core machine a core taken from whichever side runs next in the interleaved rounds.
            // Spinning inside a run stays on; only the spin between runs stops (FoldRT's own workers spin at
            // most 0.2 ms after each parallel loop). Not measured on its own: runs on this VM were too noisy.
            opts.addConfigEntry("session.force_spinning_stop", "1");
            return new OrtExecutable(env, env.createSession(onnxFile.toString(), opts), batch);
        } catch (OrtException e) {
            throw new ModelException(onnxFile + ": ONNX Runtime cannot load it (" + e.getMessage() + ")", e);
        }
    }
}
