package io.foldrt.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.backend.BackendProvider;
import io.foldrt.backend.BackendUnavailableException;
import io.foldrt.backend.cuda.dnn.ConvAlgorithms;
import io.foldrt.backend.cuda.geometry.ConvPathRule.ConvPath;
import io.foldrt.ir.ModelException;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** The provider as the runtime sees it, on a machine with or without a GPU; options parsing. */
class CudaProviderTest {

    @Test
    void foundThroughServiceLoader() {
        boolean found = ServiceLoader.load(BackendProvider.class).stream()
                .anyMatch(p -> p.type() == CudaBackendProvider.class);
        assertTrue(found);
        assertEquals("cuda", new CudaBackendProvider().kind());
    }

    @Test
    void withoutAGpuOpenFailsWithOneLine() {
        try (var backend = new CudaBackendProvider().open(0, Map.of())) {
            // A GPU machine: nothing to check here, the gpu-tagged tests cover it.
            assertTrue(backend.name().startsWith("cuda:0"));
        } catch (BackendUnavailableException e) {
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            assertFalse(e.getMessage().isBlank());
            System.out.println("cuda unavailable here: " + e.getMessage());
        }
    }

    @Test
    void foldEngineWithoutAGpuFailsWithOneLine() {
        try (var engine = CudaFoldEngine.open(0)) {
            assertTrue(engine.name().startsWith("cuda kernel fold_bn"));
        } catch (BackendUnavailableException e) {
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }

    @Test
    void badOptionsAreReportedBeforeTheDriverIsTouched() {
        var p = new CudaBackendProvider();
        var unknown = assertThrows(ModelException.class, () -> p.open(0, Map.of("conv_path", "add")));
        assertTrue(unknown.getMessage().contains("'conv_path'") && unknown.getMessage().contains("conv-path"));
        var graph = assertThrows(ModelException.class, () -> p.open(0, Map.of("conv-path", "graph")));
        assertTrue(graph.getMessage().contains("not implemented"), graph.getMessage());
        assertThrows(ModelException.class, () -> p.open(0, Map.of("cuda-graph", "yes")));
    }

    @Test
    void optionValues() {
        assertEquals(CudaOptions.DEFAULTS, CudaOptions.parse(Map.of()));
        var o = CudaOptions.parse(Map.of("conv-path", "add", "cuda-graph", "true", "conv-algo", "heuristic", "tf32", "TRUE",
                "allow-cpu-fallback", "true"));
        assertEquals(ConvPath.ADD, o.convPath());
        assertTrue(o.cudaGraph() && o.tf32() && o.allowCpuFallback());
        assertEquals(ConvAlgorithms.Search.HEURISTIC, o.algoSearch());
        assertEquals(ConvPath.FUSED, CudaOptions.parse(Map.of("conv-path", "b")).convPath());
        assertEquals(ConvPath.ADD, CudaOptions.parse(Map.of("conv-path", "a")).convPath());
    }
}
