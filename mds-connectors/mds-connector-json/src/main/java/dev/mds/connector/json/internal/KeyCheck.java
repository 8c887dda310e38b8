package dev.mds.connector.json.internal;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonParserDelegate;
import dev.mds.core.Schema;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The parser as the tree reader sees it, noting the first key that is twice in one object (at any depth) instead of
 * failing on it as Jackson's strict duplicate detection does: the record is then read to its end, so the next one
 * can be read, and the record is set aside as bad by the policy.
 */
final class KeyCheck extends JsonParserDelegate {
    private final List<Keys> open = new ArrayList<>();
    private int depth;
    private String duplicate;
    private String topLevelKey;
    private String duplicateTopLevelKey;
    private JsonLocation duplicateAt;
    // top-level keys that are columns: seen in this record when their stamp is the record's (no set to fill)
    private Schema columns;
    private long[] seenIn;
    private long record;
    private int topLevelColumn = -1;
    // the column of the k-th top-level key of the last records: records mostly have their keys in one order, and
    // the parser hands out one String instance per name, so a key is mostly found by identity, without a lookup
    private String[] keyAt = new String[16];
    private int[] columnAt = new int[16];
    private int position;

    KeyCheck(JsonParser parser) {
        super(parser);
    }

    /** Top-level keys are looked up in {@code s}: {@link #topLevelColumn()} then says which column a key is. */
    void columns(Schema s) {
        columns = s;
        seenIn = new long[s.size()];
        java.util.Arrays.fill(keyAt, null);
    }

    /** The column of the top-level key just read (with {@link #columns}), -1 when it is none. */
    int topLevelColumn() {
        return topLevelColumn;
    }

    /** Forgets the last record's keys; the parser is on the record's opening <code>{</code>, already read. */
    void startRecord() {
        if (open.isEmpty()) {
            open.add(new Keys());
        } else {
            open.get(0).clear();
        }
        depth = 1;
        record++;
        position = 0;
        topLevelKey = null;
        duplicate = null;
        duplicateAt = null;
        duplicateTopLevelKey = null;
    }

    /** The first key twice in one object of the record just read, or null. */
    String duplicate() {
        return duplicate;
    }

    /** The record's top-level key that holds the duplicate (the duplicate itself when it is a top-level key). */
    String duplicateTopLevelKey() {
        return duplicateTopLevelKey;
    }

    /** Where the second occurrence of {@link #duplicate()} is. */
    JsonLocation duplicateAt() {
        return duplicateAt;
    }

    private int column(String name) {
        int k = position++;
        if (k < keyAt.length && keyAt[k] == name) {
            return columnAt[k];
        }
        int column = columns.indexOf(name);
        if (k >= keyAt.length) {
            keyAt = java.util.Arrays.copyOf(keyAt, Math.max(k + 1, keyAt.length * 2));
            columnAt = java.util.Arrays.copyOf(columnAt, keyAt.length);
        }
        keyAt[k] = name;
        columnAt[k] = column;
        return column;
    }

    @Override
    public JsonToken nextToken() throws IOException {
        JsonToken t = delegate.nextToken();
        if (t == null) {
            return null;
        }
        switch (t) {
            case START_OBJECT -> {
                if (open.size() <= depth) {
                    open.add(new Keys());
                } else {
                    open.get(depth).clear();
                }
                depth++;
            }
            case END_OBJECT -> depth--;
            case FIELD_NAME -> {
                String name = delegate.currentName();
                boolean again;
                if (depth == 1) {
                    topLevelKey = name;
                    int column = columns == null ? -1 : column(name);
                    topLevelColumn = column;
                    if (column >= 0) {
                        again = seenIn[column] == record;
                        seenIn[column] = record;
                    } else {
                        again = !open.get(0).add(name);
                    }
                } else {
                    again = !open.get(depth - 1).add(name);
                }
                if (again && duplicate == null) {
                    duplicate = name;
                    duplicateTopLevelKey = topLevelKey;
                    duplicateAt = delegate.currentTokenLocation();
                }
            }
            default -> {
            }
        }
        return t;
    }

    /**
     * The keys of one open object: a short list looked through (the parser hands out one String instance per name, so
     * mostly compared by identity), a set once there are many.
     */
    private static final class Keys {
        private static final int LISTED = 12;
        private final String[] listed = new String[LISTED];
        private int size;
        private Set<String> many;

        void clear() {
            size = 0;
            many = null;
        }

        /** Adds {@code name}; false when it is there already. */
        boolean add(String name) {
            if (many != null) {
                return many.add(name);
            }
            for (int i = 0; i < size; i++) {
                if (listed[i] == name || listed[i].equals(name)) {
                    return false;
                }
            }
            if (size < LISTED) {
                listed[size++] = name;
                return true;
            }
            many = new HashSet<>(List.of(listed));
            return many.add(name);
        }
    }

    @Override
    public JsonToken nextValue() throws IOException {
        JsonToken t = nextToken();
        return t == JsonToken.FIELD_NAME ? nextToken() : t;
    }
}
