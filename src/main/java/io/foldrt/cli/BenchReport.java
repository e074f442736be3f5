package io.foldrt.cli;

import java.util.List;

/**
 * Everything one {@code foldrt bench} run measured, with where it ran. The JSON form ({@link BenchJson}) is the
 * source of the Markdown and chart outputs, so a stored result can be rendered again later ({@code bench-report}).
 *
 * @param device  the backend FoldRT ran on, e.g. "cpu (2 threads)"
 * @param threads intra-op threads given to peer engines (FoldRT's CPU backend uses the same count)
 * @param peers   the peer engines, with their descriptions
 */
record BenchReport(MachineInfo machine, Benchmark.Config config, String device, int threads, List<String> peers,
                   List<Benchmark.CaseResult> cases) {
    BenchReport {
        peers = List.copyOf(peers);
        cases = List.copyOf(cases);
    }
}
