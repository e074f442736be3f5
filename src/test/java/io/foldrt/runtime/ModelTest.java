package io.foldrt.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.foldrt.ir.ModelException;
import io.foldrt.testing.FakeModelTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelTest {
    @TempDir
    Path dir;
    private final FakeModelTools tools = new FakeModelTools();

    @Test
    void loadsZooModelsByName() {
        Model m = Model.load("tiny_cnn", tools);
        assertEquals("tiny_cnn", m.name());
        assertEquals("x", m.graph().inputs().get(0).name());
        assertEquals(Optional.empty(), m.sourceFile());
    }

    @Test
    void unknownNameListsTheZoo() {
        ModelException e = assertThrows(ModelException.class, () -> Model.load("resnet19", tools));
        assertEquals("unknown model 'resnet19': not a file and not a zoo model (zoo: tiny_cnn, two_inputs)", e.getMessage());
    }

    @Test
    void pathsEndingInOnnxOrExistingFilesAreImported() throws IOException {
        Path onnx = Files.writeString(dir.resolve("net.onnx"), "two_inputs");
        Model m = Model.load(onnx.toString(), tools);
        assertEquals("net", m.name());
        assertEquals(Optional.of(onnx), m.sourceFile());
        assertEquals(2, m.graph().inputs().size());
        // An existing file is a model file whatever its name, even if it looks like a zoo name.
        Path plain = Files.writeString(dir.resolve("tiny_cnn"), "two_inputs");
        assertEquals(2, Model.load(plain.toString(), tools).graph().inputs().size());
    }

    @Test
    void fileProblemsAreOneLine() throws IOException {
        Path missing = dir.resolve("gone.onnx");
        assertEquals(missing + ": no such file",
                assertThrows(ModelException.class, () -> Model.load(missing.toString(), tools)).getMessage());
        Path d = Files.createDirectory(dir.resolve("d.onnx"));
        assertEquals(d + ": is a directory, expected an .onnx file",
                assertThrows(ModelException.class, () -> Model.load(d.toString(), tools)).getMessage());
        assertEquals("no model given (expected a zoo model name or an .onnx file)",
                assertThrows(ModelException.class, () -> Model.load(" ", tools)).getMessage());
    }

    @Test
    void planReturnsANewModelAndTheReport() {
        Model m = Model.load("tiny_cnn", tools);
        Model.Planned p = m.plan(PlanRequest.defaults());
        assertEquals("tiny_cnn", p.model().name());
        assertEquals(1, p.report().foldedCount());
        assertEquals(List.of(PlanRequest.defaults()), tools.planRequests);
        assertNotSame(m, p.model());
        assertEquals(1, m.plan(PlanRequest.unfolded()).report().keptCount());
    }
}
