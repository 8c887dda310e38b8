package dev.mds.load.internal;

import dev.mds.core.Record;
import java.util.ArrayList;
import java.util.List;

/** Bad rows of one load set aside for the dead-letter table. */
final class Rejects {
    final List<Object[]> rows = new ArrayList<>();
    /** Rounds of setting aside rows the table refused at the MERGE. */
    int rounds;

    void add(long recordNumber, String key, String reason, Record record) {
        rows.add(new Object[] {recordNumber, key, reason, String.valueOf(record)});
    }

    int size() {
        return rows.size();
    }
}
