package dev.mds.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Runs benchmark suites: {@code java -jar mds-bench/target/mds-bench.jar [--quick] [--rounds N] <suite>...}.
 * Suite {@code load} is the class {@code dev.mds.bench.suites.LoadSuite}. Exit code 0 when every suite ran (even
 * if goals were missed), 1 when a suite failed, 2 on bad arguments (an unknown suite, {@code --rounds} without a
 * number of at least 3).
 *
 * <p>The suites run in a forked JVM whose heap is fixed and touched up front ({@value #HEAP_FLAGS}), as JMH forks
 * its benchmarks: with a heap that grows and shrinks while a suite runs, the kernel's page faults land in timed
 * rounds (seen as 20% system time and rounds twice as slow in the Java Hasher figure). Both sides of every
 * ratio run in that same JVM. {@code -Dmds.bench.fork=false}, or an {@code -Xms}/{@code -Xmx} of one's own, runs
 * in the launching JVM instead.
 */
public final class BenchMain {
    static final String HEAP_FLAGS = "-Xms6g -Xmx6g -XX:+AlwaysPreTouch";
    private static final String FORK = "mds.bench.fork";

    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        List<String> jvm = ManagementFactory.getRuntimeMXBean().getInputArguments();
        boolean ownHeap = jvm.stream().anyMatch(a -> a.startsWith("-Xms") || a.startsWith("-Xmx"));
        if (Boolean.parseBoolean(System.getProperty(FORK, "true")) && !ownHeap) {
            System.exit(fork(jvm, args));
        }
        System.out.println("jvm: " + String.join(" ", jvm));
        System.exit(run(args));
    }

    /**
     * Runs the suites named in {@code args} in this JVM; returns the exit code: 0 when every suite ran (goals missed
     * or not), 1 when a suite failed (an exception, a failed check, or any other {@link Throwable}: an
     * {@link Error} such as an {@code OutOfMemoryError} is a failed suite too, and the next suites still run), 2 on
     * bad arguments, before any suite runs.
     */
    static int run(String[] args) {
        boolean quick = false;
        int rounds = -1;
        List<String> suites = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--rounds" -> {
                    rounds = i + 1 < args.length && args[i + 1].matches("[0-9]{1,6}") ? Integer.parseInt(args[++i]) : 0;
                    if (rounds < 3) {
                        // a median of fewer than 3 rounds is not a figure (shared/BENCHMARKS.md: N >= 3)
                        System.err.println("--rounds needs a number of timed rounds, at least 3");
                        usage();
                        return 2;
                    }
                }
                case "-h", "--help" -> {
                    usage();
                    return 0;
                }
                default -> suites.add(args[i]);
            }
        }
        if (suites.isEmpty()) {
            usage();
            return 2;
        }
        if (rounds < 0) {
            rounds = quick ? 3 : 5;
        }
        int failed = 0;
        List<String> all = new ArrayList<>();
        List<BenchSuite> loaded = new ArrayList<>();
        for (String suite : suites) {   // all names first: a typo in the last one must not cost the others' run
            try {
                loaded.add(load(suite));
            } catch (ReflectiveOperationException | ClassCastException | IndexOutOfBoundsException e) {
                System.err.println("no suite '" + suite + "' (expected a class dev.mds.bench.suites.<Name>Suite)");
                usage();
                return 2;
            }
        }
        for (int i = 0; i < suites.size(); i++) {
            String suite = suites.get(i);
            BenchSuite s = loaded.get(i);
            System.out.printf(Locale.ROOT, "== suite %s (%s, %d timed rounds after a warm-up)%n", suite, quick ? "quick" : "full", rounds);
            try (BenchContext context = new BenchContext(suite, quick, rounds)) {
                s.run(context);
                all.addAll(context.ratios());
            } catch (Throwable e) {   // an Error too: it would end main() without the exit code (or hang on threads)
                failed++;
                System.err.println("suite " + suite + " FAILED: " + e);
                e.printStackTrace();
            }
        }
        if (suites.size() > 1) {
            System.out.println("== all figures");
            all.forEach(System.out::println);
        }
        return failed == 0 ? 0 : 1;
    }

    /** Runs this class in a new JVM with {@link #HEAP_FLAGS} and the launching JVM's own options; its exit code. */
    private static int fork(List<String> jvm, String[] args) throws Exception {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(jvm);
        command.addAll(List.of(HEAP_FLAGS.split(" ")));
        command.addAll(List.of("-D" + FORK + "=false", "-cp", System.getProperty("java.class.path"), BenchMain.class.getName()));
        command.addAll(List.of(args));
        Process child = new ProcessBuilder(command).inheritIO().start();
        Runtime.getRuntime().addShutdownHook(new Thread(child::destroy));   // a stopped bench stops its fork too
        return child.waitFor();
    }

    private static BenchSuite load(String suite) throws ReflectiveOperationException {
        Class<?> c = Class.forName("dev.mds.bench.suites." + className(suite));
        return (BenchSuite) c.getDeclaredConstructor().newInstance();
    }

    private static String className(String suite) {
        return suite.substring(0, 1).toUpperCase(Locale.ROOT) + suite.substring(1) + "Suite";
    }

    private static void usage() {
        System.out.println("usage: java -jar mds-bench/target/mds-bench.jar [--quick] [--rounds N] <suite>...");
        System.out.println("suites: baseline, load, csv, json, cdc, vault, quality");
    }
}
