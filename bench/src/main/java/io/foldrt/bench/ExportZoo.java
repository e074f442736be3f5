package io.foldrt.bench;

import io.foldrt.onnx.OnnxExporter;
import io.foldrt.zoo.ModelZoo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Writes zoo models as ONNX (opset 13, BatchNorm unfolded, seeded weights) so that other engines (PyTorch's
 * bench/pytorch/compare.py, ONNX Runtime) read exactly the weights FoldRT runs. Usage:
 * {@code ExportZoo DIR [MODEL...]} (default: resnet18 resnet50 mobilenet_v2).
 */
public final class ExportZoo {
    private ExportZoo() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: ExportZoo DIR [MODEL...]");
            System.exit(2);
        }
        Path dir = Files.createDirectories(Path.of(args[0]));
        List<String> models = args.length > 1 ? Arrays.asList(args).subList(1, args.length)
                : List.of("resnet18", "resnet50", "mobilenet_v2");
        for (String m : models) {
            Path out = dir.resolve(m + ".onnx");
            OnnxExporter.write(ModelZoo.build(m), out, 13);
            System.out.println("wrote " + out + " (" + Files.size(out) / 1024 + " KiB)");
        }
    }
}
