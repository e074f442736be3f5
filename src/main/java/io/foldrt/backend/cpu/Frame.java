package io.foldrt.backend.cpu;

/** What a step sees while it runs: the value buffers by id, the worker pool and each worker's scratch. */
record Frame(float[][] values, WorkerPool pool, Workspace[] workspaces) {

    float[] get(int id) {
        return values[id];
    }
}
