package dev.mds.connector.csv;

import java.nio.file.Path;

/** Test helper: runs {@link CsvSource#split} in a process of its own (args: file, directory, chunkRows). */
final class SplitInAnotherProcess {
    private SplitInAnotherProcess() {
    }

    public static void main(String[] args) {
        System.out.println(CsvSource.split(Path.of(args[0]), Path.of(args[1]), Integer.parseInt(args[2])));
    }
}
