/**
 * The embeddable FoldRT API: load a {@link io.foldrt.runtime.Model}, plan it (fold BatchNorm), open a
 * {@link io.foldrt.runtime.Session} on a {@link io.foldrt.runtime.Device} and run forward passes.
 * {@link io.foldrt.runtime.Backends} finds the CPU and CUDA backends at run time;
 * {@link io.foldrt.runtime.ModelTools} is the seam to the model zoo, ONNX import/export and the planner.
 */
package io.foldrt.runtime;
