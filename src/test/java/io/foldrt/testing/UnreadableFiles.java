package io.foldrt.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;

/** Produces a path that exists as a regular file but cannot be read, for error-path tests. */
public final class UnreadableFiles {
    private UnreadableFiles() {}

    /**
     * Removes all permissions from {@code f} and returns it. When that does not stop this process from reading
     * (tests often run as root), returns {@code /proc/self/mem} instead: a regular file whose first read fails
     * with an I/O error because address 0 is never mapped.
     */
    public static Path make(Path f) throws IOException {
        Files.setPosixFilePermissions(f, Set.of());
        if (!canRead(f)) return f;
        Path mem = Path.of("/proc/self/mem");
        Assumptions.assumeTrue(Files.isRegularFile(mem) && !canRead(mem), "no way to make an unreadable file here");
        return mem;
    }

    private static boolean canRead(Path f) {
        try (InputStream in = Files.newInputStream(f)) {
            in.read();
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
