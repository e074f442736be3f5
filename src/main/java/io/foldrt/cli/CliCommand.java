package io.foldrt.cli;

import io.foldrt.runtime.Model;
import io.foldrt.runtime.SessionOptions;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Base of the subcommands: access to the context and to the command's output streams. Results go to
 * {@link #out()}; progress, notices and timings go to {@link #err()} so that stdout can be piped.
 */
abstract class CliCommand implements Callable<Integer> {
    protected final CliContext ctx;

    @Spec
    protected CommandSpec spec;

    CliCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    protected PrintWriter out() {
        return spec.commandLine().getOut();
    }

    protected PrintWriter err() {
        return spec.commandLine().getErr();
    }

    protected Model loadModel(String ref) {
        return Model.load(ref, ctx.tools());
    }

    /** Session options that open backends through the context and print notices on stderr. */
    protected SessionOptions sessionOptions(Map<String, String> backendOptions) {
        return SessionOptions.defaults()
                .withOpener(ctx.backends())
                .withBackendOptions(backendOptions)
                .withNotices(m -> err().println("foldrt: " + m));
    }

    /** A bad option value, reported like picocli's own parameter errors (exit code 2). */
    protected ParameterException badParameter(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    protected void requireAtLeast(int value, int min, String option) {
        if (value < min) throw badParameter(option + " must be at least " + min + ", got " + value);
    }
}
