/**
 * Serving FoldRT models over HTTP with the Open Inference Protocol (KServe v2) REST surface.
 *
 * <p>{@link io.foldrt.serve.InferenceServer} owns the HTTP listener (the JDK's {@code com.sun.net.httpserver} on
 * virtual threads) and one {@link io.foldrt.runtime.Session} per served model. Requests for a model go through a
 * bounded queue to a single worker that may concatenate several requests into one forward pass (dynamic batching).
 * The pieces are small on purpose: {@code Router} maps paths and methods to handlers and errors to JSON,
 * {@code InferJson} is the streaming JSON codec, {@code InferValidator} checks a request against the model,
 * {@code Batcher} queues and batches, and {@code InferenceServer} ties their lifecycles together.
 */
package io.foldrt.serve;
