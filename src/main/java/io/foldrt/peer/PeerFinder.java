package io.foldrt.peer;

import io.foldrt.ir.ModelException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/** Finds a {@link PeerEngine} by name. The standard finder uses the engines on the class path. */
@FunctionalInterface
public interface PeerFinder {
    /** Peers FoldRT knows how to build, with what it takes to get them onto the class path. */
    String HOW_TO_ENABLE = "build and run through the benchmark profile: 'bench/run side-by-side' "
            + "(or 'mvn -Pjmh -Dmaven.test.skip=true package' and run io.foldrt.cli.Main with target/jmh/classes "
            + "and target/jmh/classpath.txt)";

    /** @throws ModelException for an unknown name or an engine that is not on the class path */
    PeerEngine find(String name);

    /** The engines registered with {@link ServiceLoader}; one whose library is missing counts as absent. */
    static PeerFinder installed() {
        return name -> {
            List<String> names = new ArrayList<>();
            Iterator<PeerEngine> it = ServiceLoader.load(PeerEngine.class).iterator();
            while (true) {
                PeerEngine e;
                try {
                    if (!it.hasNext()) break;
                    e = it.next();
                } catch (ServiceConfigurationError | LinkageError broken) {
                    continue; // its library (e.g. onnxruntime.jar) is not on the class path
                }
                if (e.name().equals(name)) return e;
                names.add(e.name());
            }
            if (name.equals("ort")) {
                throw new ModelException("peer 'ort' (ONNX Runtime) is not on the class path; the main build leaves it "
                        + "out: " + HOW_TO_ENABLE);
            }
            throw new ModelException("unknown peer '" + name + "' (known: ort" + (names.isEmpty() ? "" : "; on the class "
                    + "path: " + String.join(", ", names)) + ")");
        };
    }
}
