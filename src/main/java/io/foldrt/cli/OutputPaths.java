package io.foldrt.cli;

import io.foldrt.io.AtomicFiles;
import io.foldrt.ir.ModelException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/**
 * Checks output paths before any work is done, with {@link AtomicFiles}' own rules (it checks again when it
 * writes): a long run must not end in an error that was knowable at the start.
 */
final class OutputPaths {
    private OutputPaths() {}

    /**
     * @param targets the files that will be written
     * @param inputs  files that must never be written over (input tensors, the model file)
     */
    static void check(Collection<Path> targets, Collection<Path> inputs) {
        Set<Path> seen = new HashSet<>();
        Path[] protect = inputs.toArray(Path[]::new);
        for (Path target : targets) {
            if (!seen.add(target.toAbsolutePath().normalize())) {
                throw new ModelException(target + ": is given as the output file twice");
            }
            AtomicFiles.checkTarget(target, protect);
        }
    }
}
