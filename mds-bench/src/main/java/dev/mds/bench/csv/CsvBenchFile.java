package dev.mds.bench.csv;

import dev.mds.bench.BenchData;
import dev.mds.core.Record;
import java.io.BufferedWriter;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes the bench's CSV file: the 8-column transactions shape of {@link BenchData} with a header, where every
 * 10th name holds a comma, every 50th a newline, every 100th doubled quotes and every 250th a multibyte city.
 */
public final class CsvBenchFile {
    private CsvBenchFile() {
    }

    /** The name of row {@code id} as written (and as read back). */
    public static String name(long id) {
        String base = "customer " + id + " of " + (id % 977);
        if (id % 250 == 0) {
            return base + " in Zürich, 東京";
        }
        if (id % 100 == 0) {
            return base + " \"the best\"";
        }
        if (id % 50 == 0) {
            return base + "\nsecond line";
        }
        if (id % 10 == 0) {
            return base + ", VIP";
        }
        return base;
    }

    /** Row {@code id} as read back: {@link BenchData#record8} with {@link #name}. */
    public static Record record(long id) {
        return BenchData.record8(id, 0).with(1, name(id));
    }

    /** Writes rows {@code 1..rows} and returns the file's size in bytes. */
    public static long write(Path file, long rows) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("id,name,amount,booked_at,paid,quantity,score,booked_on\n");
            StringBuilder s = new StringBuilder(256);
            for (long id = 1; id <= rows; id++) {
                s.setLength(0);
                Record r = record(id);
                s.append(id).append(',');
                String name = (String) r.get(1);
                if (name.indexOf(',') >= 0 || name.indexOf('"') >= 0 || name.indexOf('\n') >= 0) {
                    s.append('"').append(name.replace("\"", "\"\"")).append('"');
                } else {
                    s.append(name);
                }
                s.append(',').append(((BigDecimal) r.get(2)).toPlainString())
                        .append(',').append(r.get(3))
                        .append(',').append(r.get(4))
                        .append(',').append(r.get(5))
                        .append(',').append(r.get(6))
                        .append(',').append(r.get(7))
                        .append('\n');
                w.append(s);
            }
        }
        return Files.size(file);
    }
}
