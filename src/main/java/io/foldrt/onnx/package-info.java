/**
 * ONNX in and out: {@link io.foldrt.onnx.OnnxImporter} reads a model into the FoldRT IR and
 * {@link io.foldrt.onnx.OnnxExporter} writes one back, so that folding a model is
 *
 * <pre>
 * Graph g = OnnxImporter.load(in);
 * Graph folded = Planner.plan(g).graph();
 * OnnxExporter.write(folded, out, OnnxImporter.opsetOf(in), in);
 * </pre>
 *
 * <p>Semantics follow the ONNX operator definitions as ONNX Runtime implements them, except in two pooling
 * corner cases where the IR follows PyTorch and ONNX Runtime 1.20 differs (both covered by tests): a
 * ceil_mode window that would start in the end padding is dropped, and an average-pooling window that
 * overhangs the padded input with count_include_pad=1 divides by its part inside the padded input.
 * A BatchNormalization with more than one output is training mode in ONNX and is refused.
 */
package io.foldrt.onnx;
