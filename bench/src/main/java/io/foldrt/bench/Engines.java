package io.foldrt.bench;

import io.foldrt.backend.Backend;
import io.foldrt.backend.BackendUnavailableException;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import io.foldrt.ir.ValueInfo;
import io.foldrt.runtime.Backends;
import io.foldrt.runtime.Device;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** Opens the backend named by the JMH {@code device} and {@code threads} parameters; seeded inputs. */
final class Engines {
    private Engines() {}

    /**
     * @param device  "cpu" or "cuda" (bench/run passes cuda only when a GPU is usable)
     * @param threads CPU worker threads; 0 means all cores
     */
    static Backend open(String device, int threads) {
        Map<String, String> opts = new LinkedHashMap<>();
        if (threads > 0) opts.put("cpu.threads", Integer.toString(threads));
        return Backends.open(Device.parse(device), opts, System.err::println);
    }

    /** Null when CUDA can be used here, else the reason it cannot. */
    static String cudaUnavailableReason() {
        try (Backend b = Backends.open(Device.cuda(0), Map.of(), n -> {})) {
            return null;
        } catch (BackendUnavailableException e) {
            return e.getMessage();
        } catch (RuntimeException | LinkageError e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    static Map<String, Tensor> inputs(Graph g, int batch) {
        SplittableRandom rng = new SplittableRandom(42);
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (ValueInfo v : g.inputs()) {
            if (!g.initializers().containsKey(v.name())) {
                in.put(v.name(), Tensor.random(rng, -1f, 1f, Shapes.bind(v.shape(), batch)));
            }
        }
        return in;
    }
}
