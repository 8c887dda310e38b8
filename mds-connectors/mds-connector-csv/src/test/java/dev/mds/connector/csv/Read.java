package dev.mds.connector.csv;

import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/** Test helper: reads everything a configured source gives. */
final class Read {
    private Read() {
    }

    static List<RecordBatch> batches(CsvSource.Builder builder) {
        try (CsvSource csv = builder.build(); var s = csv.batches()) {
            return s.collect(Collectors.toList());
        }
    }

    static List<RecordBatch> batches(CsvSource.Builder base, UnaryOperator<CsvSource.Builder> more) {
        return batches(more.apply(base));
    }

    static List<Record> records(CsvSource.Builder builder) {
        List<Record> out = new ArrayList<>();
        for (RecordBatch b : batches(builder)) {
            out.addAll(b.records());
        }
        return out;
    }
}
