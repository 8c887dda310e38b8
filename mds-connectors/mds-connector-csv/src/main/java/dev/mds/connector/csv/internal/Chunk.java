package dev.mds.connector.csv.internal;

/**
 * Whole records cut from the input: {@code bytes[from, to)}, owned by the chunk (nobody else writes to it).
 *
 * @param bytes the buffer
 * @param from first byte of the first record
 * @param to end of the last record, its line feed included
 * @param offset file offset of {@code from}
 * @param firstRecord 1-based number of the first record (blank lines and comments are not records)
 * @param firstLine 1-based line of {@code from}
 * @param records the number of records
 * @param lines the number of line feeds in the chunk
 */
record Chunk(byte[] bytes, int from, int to, long offset, long firstRecord, long firstLine, int records, long lines) {
    long endOffset() {
        return offset + (to - from);
    }
}
