package io.foldrt.cli;

import io.foldrt.runtime.Backends;
import io.foldrt.testing.FakeModelTools;
import io.foldrt.testing.ReferenceProvider;
import io.foldrt.testing.UnavailableProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Runs {@link Main} in-process against the fake model tools, a reference "cpu" backend and a "cuda" backend that
 * is never available, capturing the exit code, stdout and stderr.
 */
final class CliHarness {
    record Result(int code, String out, String err) {
        List<String> errLines() {
            return err.isEmpty() ? List.of() : List.of(err.split("\n"));
        }
    }

    final FakeModelTools tools = new FakeModelTools();
    final ReferenceProvider cpu = new ReferenceProvider("cpu");
    final UnavailableProvider noGpu = new UnavailableProvider("cuda", "libcuda.so.1 not found");

    Result run(String... args) {
        CliContext ctx = new CliContext(tools, (d, o, n) -> Backends.open(List.of(noGpu, cpu), d, o, n));
        return run(ctx, args);
    }

    static Result run(CliContext ctx, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), ctx);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
