package io.foldrt.cli;

import io.foldrt.backend.BackendUnavailableException;
import io.foldrt.ir.ModelException;
import java.io.PrintStream;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code foldrt} command line.
 *
 * <p>Exit codes: 0 success; 2 bad input (an unusable model, file, tensor, option or device), reported as one line
 * {@code foldrt: <message>} on stderr; 1 an internal error, reported as one line ending in
 * {@code (run with --debug for details)}. With {@code --debug} the stack trace follows the line.
 */
@Command(name = "foldrt", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Runs and benchmarks neural networks with BatchNorm folded into Conv/Linear weights.",
        synopsisSubcommandLabel = "COMMAND",
        footer = {"", "Run 'foldrt demo' for a first look, or 'foldrt COMMAND --help' for a command's options."})
public final class Main implements Runnable {
    @Option(names = "--debug", scope = ScopeType.INHERIT, description = "Print stack traces of errors.")
    boolean debug;

    @Spec
    CommandLine.Model.CommandSpec spec;

    /** Entry point of the {@code foldrt} launcher: exits with the command's exit code. */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command line with the standard context; returns the exit code and never calls System.exit. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, out, err, CliContext.standard());
    }

    /** Runs one command line against {@code ctx} (tests pass fakes); returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err, CliContext ctx) {
        PrintWriter o = new PrintWriter(out, true);
        PrintWriter e = new PrintWriter(err, true);
        Main main = new Main();
        CommandLine cl = new CommandLine(main)
                .addSubcommand(new InfoCommand(ctx))
                .addSubcommand(new RunCommand(ctx))
                .addSubcommand(new BenchCommand(ctx))
                .addSubcommand(new DemoCommand(ctx))
                .addSubcommand(new FoldCommand(ctx))
                .addSubcommand(new ServeCommand(ctx))
                .addSubcommand(new BenchReportCommand())
                .addSubcommand(new CommandLine.HelpCommand());
        // Set after the subcommands are added: these settings apply to the hierarchy as it is now.
        cl.setOut(o);
        cl.setErr(e);
        cl.setParameterExceptionHandler((ex, a) -> parameterError(ex, e));
        cl.setExecutionExceptionHandler((ex, c, parsed) -> executionError(ex, main.debug, e));
        try {
            return cl.execute(args);
        } catch (RuntimeException | Error ex) {
            // picocli handles what commands throw; this catches failures of the handlers themselves.
            return executionError(ex, main.debug, e);
        } finally {
            o.flush();
            e.flush();
        }
    }

    /** {@code foldrt} without a command. */
    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command (info, run, bench, demo, fold, serve or bench-report)");
    }

    private static int parameterError(ParameterException ex, PrintWriter err) {
        String command = ex.getCommandLine().getCommandSpec().qualifiedName();
        err.println("foldrt: " + oneLine(ex.getMessage()) + " (see '" + command + " --help')");
        return 2;
    }

    private static int executionError(Throwable ex, boolean debug, PrintWriter err) {
        int code;
        if (ex instanceof ModelException || ex instanceof BackendUnavailableException) {
            err.println("foldrt: " + oneLine(ex.getMessage()));
            code = 2;
        } else {
            String what = ex.getClass().getSimpleName() + (ex.getMessage() == null ? "" : ": " + oneLine(ex.getMessage()));
            err.println("foldrt: internal error: " + what + (debug ? "" : " (run with --debug for details)"));
            code = 1;
        }
        if (debug) ex.printStackTrace(err);
        return code;
    }

    /** Messages are printed as exactly one line, whatever a component put in them. */
    static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    /** The version from the jar manifest, or "development build" when run from target/classes. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"foldrt " + (v == null ? "(development build)" : v)};
        }
    }
}
