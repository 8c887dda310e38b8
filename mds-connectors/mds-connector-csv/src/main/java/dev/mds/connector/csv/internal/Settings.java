package dev.mds.connector.csv.internal;

import dev.mds.connector.csv.BadRowSink;
import dev.mds.connector.csv.Header;
import dev.mds.connector.csv.OnBadRow;
import dev.mds.core.FieldType;
import dev.mds.core.Schema;
import dev.mds.core.SourcePosition;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Map;

/** What the builder collected, validated. {@code path} or {@code stream} is set, not both. */
public record Settings(Path path, InputStream stream, String name, Format format, Header header, Schema schema,
        Map<String, FieldType> types, int sampleRows, int chunkRows, long chunkBytes, int maxRecordBytes, int parallelism,
        OnBadRow onBadRow, BadRowSink sink, SourcePosition resumeFrom) {
}
