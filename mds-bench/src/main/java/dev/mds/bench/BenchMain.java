package dev.mds.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Runs benchmark suites: {@code java -jar mds-bench/target/mds-bench.jar [--quick] [--rounds N] <suite>...}.
 * Suite {@code load} is the class {@code dev.mds.bench.suites.LoadSuite}. Exit code 0 when every suite ran (even
 * if goals were missed), 1 when a suite failed, 2 on bad arguments.
 */
public final class BenchMain {
    private BenchMain() {
    }

    public static void main(String[] args) {
        boolean quick = false;
        int rounds = -1;
        List<String> suites = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "-h", "--help" -> {
                    usage();
                    return;
                }
                default -> suites.add(args[i]);
            }
        }
        if (suites.isEmpty()) {
            usage();
            System.exit(2);
        }
        if (rounds < 0) {
            rounds = quick ? 3 : 5;
        }
        int failed = 0;
        List<String> all = new ArrayList<>();
        for (String suite : suites) {
            BenchSuite s;
            try {
                s = load(suite);
            } catch (ReflectiveOperationException e) {
                System.err.println("no suite '" + suite + "' (expected class dev.mds.bench.suites." + className(suite) + ")");
                System.exit(2);
                return;
            }
            System.out.printf("== suite %s (%s, %d timed rounds after a warm-up)%n", suite, quick ? "quick" : "full", rounds);
            try (BenchContext context = new BenchContext(suite, quick, rounds)) {
                s.run(context);
                all.addAll(context.ratios());
            } catch (Exception | AssertionError e) {
                failed++;
                System.err.println("suite " + suite + " FAILED: " + e);
                e.printStackTrace();
            }
        }
        if (suites.size() > 1) {
            System.out.println("== all figures");
            all.forEach(System.out::println);
        }
        System.exit(failed == 0 ? 0 : 1);
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
        System.out.println("suites: baseline, load, csv, cdc, vault, quality");
    }
}
