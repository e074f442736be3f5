package io.foldrt.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Where and when a benchmark ran, recorded with its results so that a number is never read without its machine:
 * CPU model, cores the JVM sees, JDK, OS, load average at the start, UTC date, the command line, and the git commit
 * of the code measured.
 *
 * @param commit the git commit ({@code FOLDRT_GIT_COMMIT} if set, else {@code git rev-parse HEAD}, with "-dirty"
 *               when the work tree has changes), or "unknown"
 */
public record MachineInfo(String cpu, int cores, String java, String os, String loadAverage, String date,
                          String command, String commit) {

    /** The machine this JVM runs on; {@code command} is the command line to record. */
    public static MachineInfo current(String command) {
        Runtime.Version v = Runtime.version();
        return new MachineInfo(readCpuModel(), Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.name", "java") + " " + v + " (" + System.getProperty("java.vendor", "?")
                        + ")",
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                readLoadAverage(),
                OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME),
                command, gitCommit());
    }

    /** "AMD EPYC, 2 cores, OpenJDK ..., Linux ...": one line for reports. */
    public String oneLine() {
        return cpu + ", " + cores + " cores, " + java + ", " + os + ", load " + loadAverage;
    }

    private static String readCpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8)) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).strip();
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or not readable: fall through
        }
        return System.getProperty("os.arch") + " (model unknown)";
    }

    private static String readLoadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).strip().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            double l = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            return l < 0 ? "unknown" : String.format(Locale.ROOT, "%.2f", l);
        }
    }

    private static String gitCommit() {
        String env = System.getenv("FOLDRT_GIT_COMMIT");
        if (env != null && !env.isBlank()) return env.strip();
        String head = git("rev-parse", "HEAD");
        if (head == null || head.isEmpty()) return "unknown";
        String status = git("status", "--porcelain", "--untracked-files=no");
        return status == null || status.isEmpty() ? head : head + "-dirty";
    }

    /** Output of a git command in the working directory, or null when git is missing or fails. */
    private static String git(String... args) {
        try {
            Process p = new ProcessBuilder(Stream.concat(Stream.of("git"),
                    List.of(args).stream()).toList()).redirectErrorStream(false)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroy();
                return null;
            }
            return p.exitValue() == 0 ? out : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
