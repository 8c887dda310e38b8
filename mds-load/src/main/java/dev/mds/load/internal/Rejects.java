package dev.mds.load.internal;

import dev.mds.core.BadRecord;
import dev.mds.core.Record;
import dev.mds.core.internal.FlatJson;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * Bad rows of one load set aside for the dead-letter table. A row's record is kept as a JSON object of the batch's
 * columns ({@code {"id": 3, "name": "a, b", "note": null}}), so that it can be read back, fixed and loaded again: a
 * CDC delete without an after image holds its key columns. Numbers and booleans are JSON numbers and booleans (a
 * double's NaN and infinities strings), other values strings as PostgreSQL's text of them ({@code "\\x01ff"} for
 * bytes, {@code "infinity"}), arrays JSON arrays.
 */
final class Rejects {
    final List<Object[]> rows = new ArrayList<>();
    /** Rounds of setting aside rows the table refused at the MERGE. */
    int rounds;
    private final List<String> columns;
    private final List<String> keyColumns;

    /** No columns: for a load that cannot reject anything. */
    Rejects() {
        this(List.of(), List.of());
    }

    /** The names of the batch's columns, and of its key columns (for a record of the key's values only). */
    Rejects(List<String> columns, List<String> keyColumns) {
        this.columns = List.copyOf(columns);
        this.keyColumns = List.copyOf(keyColumns);
    }

    void add(long recordNumber, String key, String reason, Record record) {
        rows.add(new Object[] {recordNumber, key, reason, json(record)});
    }

    /**
     * A record the batch's source could not read ({@link dev.mds.core.RecordBatch#rejected()}): its record number in
     * the source, no key, the reason after the location (file, line, record, column), and the text as the source
     * read it, as a JSON string.
     */
    void addFromSource(BadRecord bad) {
        StringBuilder text = new StringBuilder();
        FlatJson.string(text, bad.text());
        Long number = bad.location().recordNumber().isPresent() ? bad.location().recordNumber().getAsLong() : null;
        rows.add(new Object[] {number, null, bad.describe(), text.toString()});
    }

    int size() {
        return rows.size();
    }

    private String json(Record record) {
        if (record == null) {
            return "null";
        }
        List<String> names = record.size() == columns.size() ? columns
                : record.size() == keyColumns.size() ? keyColumns : null;
        StringBuilder s = new StringBuilder();
        if (names == null) {   // not expected: the values without their names rather than nothing
            value(s, record.values());
            return s.toString();
        }
        s.append('{');
        for (int i = 0; i < names.size(); i++) {
            if (i > 0) {
                s.append(", ");
            }
            FlatJson.string(s, names.get(i));
            s.append(": ");
            value(s, record.get(i));
        }
        return s.append('}').toString();
    }

    private static void value(StringBuilder s, Object v) {
        if (v == null) {
            s.append("null");
        } else if (v instanceof Boolean || v instanceof Long || v instanceof Integer || v instanceof Short
                || v instanceof Byte || v instanceof BigInteger) {
            s.append(v);
        } else if (v instanceof BigDecimal d) {
            s.append(d.toString());   // 1E+3 is a JSON number too
        } else if ((v instanceof Double || v instanceof Float) && Double.isFinite(((Number) v).doubleValue())) {
            s.append(v);
        } else if (v instanceof List<?> list) {
            s.append('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) {
                    s.append(", ");
                }
                value(s, list.get(i));
            }
            s.append(']');
        } else {
            FlatJson.string(s, Infinity.sign(v) != 0 || v instanceof byte[] ? CopyText.valueText(v) : String.valueOf(v));
        }
    }
}
