package io.foldrt.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.ir.ModelException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    @Test
    void newFileIsReadableByOthersAndReplacedFileKeepsItsMode() throws IOException {
        Path out = dir.resolve("a.bin");
        AtomicFiles.write(out, o -> o.write(1));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rw-rw----"));
        AtomicFiles.write(out, o -> o.write(2));
        assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
        assertEquals(2, Files.readAllBytes(out)[0]);
    }

    @Test
    void aFailedWriteLeavesTheOldFileAndNoTemporaryFile() throws IOException {
        Path out = dir.resolve("keep.txt");
        Files.writeString(out, "original");
        var e = assertThrows(ModelException.class, () -> AtomicFiles.write(out, o -> {
            o.write("half".getBytes(StandardCharsets.UTF_8));
            throw new IOException("disk full");
        }));
        assertTrue(e.getMessage().startsWith(out + ": cannot write (disk full)"), e.getMessage());
        assertEquals("original", Files.readString(out));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file is left behind");
        }
    }

    @Test
    void refusesInputsMissingDirectoriesAndDirectories() throws IOException {
        Path in = Files.writeString(dir.resolve("in.onnx"), "model");
        var same = assertThrows(ModelException.class, () -> AtomicFiles.write(in, o -> o.write(0), in));
        assertEquals(in + ": output path is the input file; refusing to overwrite it", same.getMessage());
        assertEquals("model", Files.readString(in));
        Path link = Files.createSymbolicLink(dir.resolve("link.onnx"), in);
        assertThrows(ModelException.class, () -> AtomicFiles.checkTarget(link, in));
        Path missing = dir.resolve("nope/out.bin");
        var m = assertThrows(ModelException.class, () -> AtomicFiles.checkTarget(missing));
        assertEquals(missing + ": directory " + missing.getParent() + " does not exist", m.getMessage());
        assertThrows(ModelException.class, () -> AtomicFiles.checkTarget(dir));
    }
}
