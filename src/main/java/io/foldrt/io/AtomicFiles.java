package io.foldrt.io;

import io.foldrt.ir.ModelException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Writes output files atomically: into a temporary file beside the target, then renamed over it, so a
 * failure never leaves a half-written file. Refuses to write over any of the given input files.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Body of a write that may fail with an I/O error. */
    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    public static void write(Path target, Writer body, Path... inputs) {
        checkTarget(target, inputs);
        Path abs = target.toAbsolutePath().normalize();
        Path dir = abs.getParent();
        Path tmp = null;
        try {
            tmp = Files.createTempFile(dir, "." + abs.getFileName(), ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                body.write(out);
            }
            keepPermissions(tmp, abs);
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new ModelException(target + ": cannot write (" + e.getMessage() + ")", e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: the original error is the one worth reporting
                }
            }
        }
    }

    /**
     * Checks, without writing, that {@code target} can be written by {@link #write}: its directory exists, it is
     * not a directory, and it is none of {@code inputs}. Callers with a long job check before they start it.
     */
    public static void checkTarget(Path target, Path... inputs) {
        Path abs = target.toAbsolutePath().normalize();
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

    /**
     * A temporary file is created owner-only (0600); the result should look like any other written file: the
     * replaced file's permissions, or rw-r--r-- for a new one.
     */
    private static void keepPermissions(Path tmp, Path target) throws IOException {
        if (!Files.getFileStore(tmp).supportsFileAttributeView(PosixFileAttributeView.class)) return;
        Set<PosixFilePermission> perms = Files.exists(target)
                ? Files.getPosixFilePermissions(target) : PosixFilePermissions.fromString("rw-r--r--");
        Files.setPosixFilePermissions(tmp, perms);
    }

    /** Same path, or the same file reached through a symbolic or hard link. */
    private static boolean sameFile(Path a, Path b) {
        Path nb = b.toAbsolutePath().normalize();
        if (a.equals(nb)) return true;
        try {
            return Files.exists(a) && Files.exists(nb) && Files.isSameFile(a, nb);
        } catch (IOException e) {
            return false;
        }
    }
}
