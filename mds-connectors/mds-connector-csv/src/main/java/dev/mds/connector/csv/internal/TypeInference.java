package dev.mds.connector.csv.internal;

import dev.mds.core.FieldType;
import dev.mds.core.Record;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Picks each column's type from sample values: the first of long, decimal, boolean, date, timestamp,
 * timestamptz that every non-null value parses as, else string. Numbers with a leading zero ({@code 007})
 * stay strings, so codes keep their zeros.
 */
final class TypeInference {
    private static final Pattern PLAIN_DECIMAL = Pattern.compile("[-+]?\\d+(\\.\\d+)?|[-+]?\\.\\d+");
    private static final Pattern LEADING_ZERO = Pattern.compile("[-+]?0\\d.*");

    private TypeInference() {
    }

    static FieldType[] infer(List<Record> sample, int columns) {
        FieldType[] out = new FieldType[columns];
        for (int c = 0; c < columns; c++) {
            out[c] = inferColumn(sample, c);
        }
        return out;
    }

    private static FieldType inferColumn(List<Record> sample, int c) {
        boolean any = false;
        boolean isLong = true;
        boolean isDecimal = true;
        boolean isBoolean = true;
        boolean isDate = true;
        boolean isTimestamp = true;
        boolean isTimestamptz = true;
        for (Record r : sample) {
            if (c >= r.size() || r.get(c) == null) {
                continue;
            }
            String v = (String) r.get(c);
            if (v.isEmpty()) {
                continue;
            }
            byte[] b = v.getBytes(StandardCharsets.UTF_8);
            if (Values.infinity(b, 0, b.length) != 0) {
                // a date or timestamp at infinity (as PostgreSQL exports it), but alone no evidence of either
                isLong = false;
                isDecimal = false;
                isBoolean = false;
                continue;
            }
            any = true;
            boolean leadingZero = LEADING_ZERO.matcher(v).matches();
            isLong = isLong && !leadingZero && Values.parseLong(b, 0, b.length) != Values.BAD;
            isDecimal = isDecimal && !leadingZero && PLAIN_DECIMAL.matcher(v).matches();
            isBoolean = isBoolean && Values.parseBoolean(b, 0, b.length, true) != Values.BAD;
            isDate = isDate && Values.parseDate(b, 0, b.length) != Values.BAD;
            isTimestamp = isTimestamp && Values.parseDateTime(b, 0, b.length, false) != Values.BAD;
            isTimestamptz = isTimestamptz && Values.hasOffset(b, 0, b.length);
            if (!(isLong || isDecimal || isBoolean || isDate || isTimestamp || isTimestamptz)) {
                return FieldType.STRING;
            }
        }
        if (!any) {
            return FieldType.STRING;
        }
        if (isLong) {
            return FieldType.LONG;
        }
        if (isDecimal) {
            return FieldType.DECIMAL;
        }
        if (isBoolean) {
            return FieldType.BOOLEAN;
        }
        if (isDate) {
            return FieldType.DATE;
        }
        if (isTimestamp) {
            return FieldType.TIMESTAMP;
        }
        return isTimestamptz ? FieldType.TIMESTAMPTZ : FieldType.STRING;
    }
}
