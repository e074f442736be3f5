package io.foldrt.serve;

import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import io.foldrt.ir.ValueInfo;
import io.foldrt.runtime.Device;
import io.foldrt.runtime.Model;
import io.foldrt.runtime.ModelTools;
import io.foldrt.runtime.PlanRequest;
import io.foldrt.runtime.Session;
import io.foldrt.runtime.SessionOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** FoldRT inside your own server: load and fold once, share one session across request threads, close it at the end. */
public final class EmbeddingExample {
    public static void main(String[] args) throws Exception {
        String model = args.length > 0 ? args[0] : "resnet18"; // a zoo name or the path of an .onnx file
        List<Map<String, Tensor>> answers = serve(model, Device.auto(), ModelTools.standard(), SessionOptions.defaults(), 8);
        for (int i = 0; i < answers.size(); i++) {
            Tensor scores = answers.get(i).values().iterator().next(); // the first output, e.g. logits [1,1000]
            System.out.println("request " + i + ": class " + argmax(scores.data()));
        }
    }

    /**
     * Answers {@code requests} concurrent requests with one shared session.
     *
     * @param tools   the model zoo, ONNX importer and planner ({@code ModelTools.standard()} in a real build)
     * @param options backend options and where notices go ({@code SessionOptions.defaults()}: installed backends)
     */
    static List<Map<String, Tensor>> serve(String modelRef, Device device, ModelTools tools, SessionOptions options,
                                           int requests) throws Exception {
        // Load, then plan: planning folds every BatchNorm it can into the Conv/Linear weights before it.
        Model.Planned planned = Model.load(modelRef, tools).plan(PlanRequest.defaults());
        System.out.println(planned.model().name() + ": " + planned.report().foldedCount() + " BatchNorm folded");

        // One session per model and device, shared by all request threads: run() is thread-safe and runs one
        // forward pass at a time. Resources close in reverse order: the executor first (waiting for every
        // request), then the session, which frees its compiled graphs and the backend's native memory.
        try (Session session = planned.model().session(device, options);
             ExecutorService requestThreads = Executors.newVirtualThreadPerTaskExecutor()) {
            ValueInfo input = session.inputs().get(0);
            int[] oneImage = Shapes.bind(input.shape(), 1); // e.g. [1,3,224,224]: the batch dim set to 1
            List<Future<Map<String, Tensor>>> pending = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                Tensor image = Tensor.random(new SplittableRandom(i), 0f, 1f, oneImage); // stands in for a decoded image
                // Inputs by name; outputs by name, in the model's order, owned by the caller.
                pending.add(requestThreads.submit(() -> session.run(Map.of(input.name(), image))));
            }
            List<Map<String, Tensor>> answers = new ArrayList<>();
            for (Future<Map<String, Tensor>> f : pending) answers.add(f.get());
            return answers;
        }
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
