package dev.mds.connector.json.internal;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonParserDelegate;
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
    private final List<Set<String>> open = new ArrayList<>();
    private int depth;
    private String duplicate;
    private String topLevelKey;
    private String duplicateTopLevelKey;
    private JsonLocation duplicateAt;

    KeyCheck(JsonParser parser) {
        super(parser);
    }

    /** Forgets the last record's keys; the parser is on the record's opening <code>{</code>, already read. */
    void startRecord() {
        if (open.isEmpty()) {
            open.add(new HashSet<>());
        } else {
            open.get(0).clear();
        }
        depth = 1;
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

    @Override
    public JsonToken nextToken() throws IOException {
        JsonToken t = delegate.nextToken();
        if (t == null) {
            return null;
        }
        switch (t) {
            case START_OBJECT -> {
                if (open.size() <= depth) {
                    open.add(new HashSet<>());
                } else {
                    open.get(depth).clear();
                }
                depth++;
            }
            case END_OBJECT -> depth--;
            case FIELD_NAME -> {
                String name = delegate.currentName();
                if (depth == 1) {
                    topLevelKey = name;
                }
                if (!open.get(depth - 1).add(name) && duplicate == null) {
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

    @Override
    public JsonToken nextValue() throws IOException {
        JsonToken t = nextToken();
        return t == JsonToken.FIELD_NAME ? nextToken() : t;
    }
}
