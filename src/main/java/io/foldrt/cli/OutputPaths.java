package io.foldrt.cli;

import io.foldrt.ir.ModelException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/**
 * Checks output paths before any work is done, with the same rules and messages as
 * {@link io.foldrt.io.AtomicFiles} (which checks again when it writes): a long run must not end in an error
 * that was knowable at the start.
 */
final class OutputPaths {
    private OutputPaths() {}

    /**
     * @param targets the files that will be written
     * @param inputs  files that must never be written over (input tensors, the model file)
     */
    static void check(Collection<Path> targets, Collection<Path> inputs) {
        Set<Path> seen = new HashSet<>();
        for (Path target : targets) {
            Path abs = target.toAbsolutePath().normalize();
            if (!seen.add(abs)) throw new ModelException(target + ": is given as the output file twice");
            for (Path in : inputs) {
                if (in != null && sameFile(abs, in)) {
                    throw new ModelException(target + ": output path is the input file; refusing to overwrite it");
                }
            }
            Path dir = abs.getParent();
            if (dir == null || !Files.isDirectory(dir)) {
                throw new ModelException(target + ": directory " + dir + " does not exist");
            }
            if (Files.isDirectory(abs)) throw new ModelException(target + ": is a directory, expected a file path");
            if (!Files.isWritable(dir)) throw new ModelException(target + ": directory " + dir + " is not writable");
        }
    }

    private static boolean sameFile(Path a, Path b) {
        Path nb = b.toAbsolutePath().normalize();
        if (a.equals(nb)) return true;
        try {
            // Catches the same file reached through a symbolic or hard link.
            return Files.exists(a) && Files.exists(nb) && Files.isSameFile(a, nb);
        } catch (IOException e) {
            return false;
        }
    }
}
