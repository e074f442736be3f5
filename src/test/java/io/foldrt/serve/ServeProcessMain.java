package io.foldrt.serve;

import io.foldrt.cli.CliContext;
import io.foldrt.cli.Main;
import io.foldrt.testing.FakeModelTools;
import io.foldrt.testing.ReferenceProvider;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * {@code foldrt serve} in a child JVM, on the fake zoo and the reference backend, for the SIGTERM test. Each forward
 * pass sleeps {@code -DpassDelayMillis} and announces itself on stderr as "test: pass started", so the test knows
 * when a request is in flight.
 */
public final class ServeProcessMain {
    private ServeProcessMain() {}

    public static void main(String[] args) {
        ReferenceProvider cpu = new ReferenceProvider("cpu");
        cpu.passDelayMillis = Long.getLong("passDelayMillis", 0);
        var announce = new CopyOnWriteArrayList<Integer>() {
            @Override
            public boolean add(Integer batch) {
                System.err.println("test: pass started");
                return super.add(batch);
            }
        };
        CliContext ctx = new CliContext(new FakeModelTools(), ServeFixture.recording(cpu, announce));
        System.exit(Main.run(args, System.out, System.err, ctx));
    }
}
