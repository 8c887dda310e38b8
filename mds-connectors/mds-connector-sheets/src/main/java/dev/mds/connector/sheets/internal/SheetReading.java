package dev.mds.connector.sheets.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.mds.core.BadInputException;
import dev.mds.core.InputLocation;
import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.SourcePosition;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one sheet's data rows, {@code batchRows} rows per {@code values.get} request, as batches: rows 2 to
 * {@code batchRows + 1} first (with the header, row 1, in the same request when reading from the start), then the next
 * {@code batchRows} rows, up to the grid's last row. A request is parsed whole before its batch is handed out, so a bad
 * cell throws before any of its rows are.
 */
public final class SheetReading implements Iterator<RecordBatch> {
    /** Position entry: the sheet's id (gid). */
    public static final String SHEET_ID = "sheet_id";
    /** Position entry: the next row to read (1-based). */
    public static final String NEXT_ROW = "next_row";
    /** Position entry: the header's checksum. */
    public static final String HEADER = "header";
    /** Position entry: the {@link dev.mds.connector.sheets.ValueRender} the values were read with. */
    public static final String VALUE_RENDER = "value_render";
    /** Position entry: the row of the batch's last record (1-based); 1, the header, in the empty batch. */
    public static final String LAST_ROW = "last_row";
    /** Position entry: the checksum of that row's cells, to see on resuming that it is still there. */
    public static final String LAST_CELLS = "last_cells";

    /** The request parameters of formatted values: the header is always read so, as the sheet shows it. */
    public static final String FORMATTED = "valueRenderOption=FORMATTED_VALUE";

    private static final Logger LOG = LoggerFactory.getLogger(SheetReading.class);

    private final Api api;
    private final SheetInfo sheet;
    private final Header header;
    private final String source;
    private final int batchRows;
    private final String render;
    private final String valueRender;
    private long nextRow;
    private JsonNode pending;
    private long pendingFirst;
    private RecordBatch ready;
    private boolean anyBatch;
    private long lastRow;
    private long lastCells;

    private SheetReading(Api api, SheetInfo sheet, Header header, String source, int batchRows, String render,
            String valueRender, long nextRow, JsonNode pending, long pendingFirst, boolean resumed) {
        this.api = api;
        this.sheet = sheet;
        this.header = header;
        this.source = source;
        this.batchRows = batchRows;
        this.render = render;
        this.valueRender = valueRender;
        this.nextRow = nextRow;
        this.pending = pending;
        this.pendingFirst = pendingFirst;
        // a resumed read that finds nothing gives no batch: the empty batch is for a whole sheet without records
        this.anyBatch = resumed;
    }

    /**
     * Starts a read: from row 2 (one request for the header and the first rows when they are read
     * {@linkplain #FORMATTED formatted}, else one for the header and one for the rows), or from {@code fromRow} (one
     * request for the header, then the rows). The header is read formatted whatever {@code render} the rows are read
     * with, so that the column names are what the sheet shows (Airbyte's), not a header cell's formula or raw number.
     * {@code valueRender} (a {@link dev.mds.connector.sheets.ValueRender} name) is kept in positions; {@code render} is
     * its request parameters.
     *
     * @return the reading, or null when a read from the start finds a sheet without any value (no header, no rows),
     *     which gives no batch, as Airbyte skips such a sheet (when row 1 is empty: one more request for the rest of
     *     the grid, or with rows read unformatted or as formulas one for rows 2 to {@code batchRows + 1} and, when
     *     they are blank, one for the rest; a resumed read of such a sheet fails on its changed header instead)
     * @throws BadInputException for a bad header; {@link dev.mds.connector.sheets.SheetsException} when a request fails
     */
    public static SheetReading open(Api api, SheetInfo sheet, String source, int batchRows, String render,
            String valueRender, boolean sqlSafe, long fromRow, Long expectedHeader) {
        return open(api, sheet, source, batchRows, render, valueRender, sqlSafe, fromRow, expectedHeader, 0, 0);
    }

    /**
     * Resumes a read at {@code fromRow} as {@link #open(Api, SheetInfo, String, int, String, String, boolean, long,
     * Long)} does, first checking, when {@code lastRow} is not 0, that row {@code lastRow} (the last record read before
     * the position) still holds the cells whose checksum is {@code lastCells}: one more request, of rows
     * {@code lastRow} to {@code fromRow - 1}, whose rows after the first (blank when the position was taken) give the
     * first batch when values were written there since, so that rows appended after the last record are read.
     * {@code lastRow} 1 (the empty batch of a sheet without records) is the header, checked already: the rows
     * from 2 to {@code fromRow - 1} are read as the first batch instead.
     *
     * @throws BadInputException when the row changed, as when rows were inserted or deleted above it since
     */
    public static SheetReading open(Api api, SheetInfo sheet, String source, int batchRows, String render,
            String valueRender, boolean sqlSafe, long fromRow, Long expectedHeader, long lastRow, long lastCells) {
        SheetReading reading = openAt(api, sheet, source, batchRows, render, valueRender, sqlSafe, fromRow,
                expectedHeader);
        if (lastRow == 1) {
            // the empty batch of a sheet without records: its "last record" is the header, checked above; the rows
            // below it, blank when the position was taken, give the first batch when values were written there since
            if (lastCells != reading.header.checksum()) {
                throw new IllegalArgumentException("position at row " + fromRow + ": last_row 1 (the header) with"
                        + " last_cells " + lastCells + " that is not the header's checksum: not a position of this"
                        + " sheet's empty batch");
            }
            long end = Math.min(fromRow - 1, sheet.rowCount());
            if (end >= 2) {
                reading.pending = api.values(sheet.title(), 2, end, render).path("values");
                reading.pendingFirst = 2;
            }
            return reading;
        }
        if (lastRow > 0) {
            JsonNode rows = lastRow > sheet.rowCount() ? null : api.values(sheet.title(), lastRow,
                    Math.max(lastRow, Math.min(fromRow - 1, sheet.rowCount())), render).path("values");
            JsonNode cells = rows == null ? null : rows.path(0);
            if (cells == null || cells.isMissingNode() || checksum(cells) != lastCells) {
                throw new BadInputException(InputLocation.of(A1.display(sheet.title()) + "!" + lastRow + ":" + lastRow),
                        "the row the position was taken after is no longer there (rows were inserted or deleted above"
                        + " it since, or it was edited): resuming at row " + fromRow + " would read rows twice or"
                        + " skip them; read the sheet from the start" + Header.in(api.spreadsheetId()));
            }
            // the rows after the last record, blank when the position was taken: rows written there since
            ArrayNode after = Api.JSON.createArrayNode();
            for (int i = 1; i < rows.size(); i++) {
                after.add(rows.get(i));
            }
            reading.pending = after;
            reading.pendingFirst = lastRow + 1;
        }
        return reading;
    }

    private static SheetReading openAt(Api api, SheetInfo sheet, String source, int batchRows, String render,
            String valueRender, boolean sqlSafe, long fromRow, Long expectedHeader) {
        long last = Math.max(1, sheet.rowCount());
        if (fromRow <= 2 && render.equals(FORMATTED)) {
            long end = Math.min(last, 1L + batchRows);
            List<JsonNode> rows = rows(api.values(sheet.title(), 1, end, render));
            if (expectedHeader == null && blank(rows) && blankFrom(api, sheet, end + 1, Long.MAX_VALUE)) {
                return null;
            }
            Header header = checked(header(api, sheet, rows, sqlSafe), expectedHeader);
            return new SheetReading(api, sheet, header, source, batchRows, render, valueRender, end + 1, tail(rows), 2,
                    expectedHeader != null);
        }
        List<JsonNode> first = rows(api.values(sheet.title(), 1, 1, FORMATTED));
        if (expectedHeader == null && fromRow <= 2 && blank(first) && blankFrom(api, sheet, 2, batchRows)) {
            return null;
        }
        Header header = checked(header(api, sheet, first, sqlSafe), expectedHeader);
        return new SheetReading(api, sheet, header, source, batchRows, render, valueRender, Math.max(2, fromRow), null,
                0, expectedHeader != null);
    }

    /** Whether {@code rows} of a {@code values} answer hold no value (white space is no value). */
    private static boolean blank(List<JsonNode> rows) {
        for (JsonNode row : rows) {
            for (JsonNode cell : row) {
                if (Cells.text(cell) != null) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Whether the sheet holds no value from row {@code from} to its last: a request of its first {@code firstRows}
     * rows, then, when they are blank, one of the rest of the grid (an empty tab answers it at once, whatever its
     * size); none past the grid. A value near the top, as under an empty row 1, is found without asking for every row.
     */
    private static boolean blankFrom(Api api, SheetInfo sheet, long from, long firstRows) {
        long last = sheet.rowCount();
        if (from > last) {
            return true;
        }
        long end = last - from < firstRows ? last : from + firstRows - 1;
        if (!blank(rows(api.values(sheet.title(), from, end, FORMATTED)))) {
            return false;
        }
        return end >= last || blank(rows(api.values(sheet.title(), end + 1, last, FORMATTED)));
    }

    /** The header alone: one request for row 1, formatted values. */
    public static Header header(Api api, SheetInfo sheet, boolean sqlSafe) {
        List<JsonNode> first = rows(api.values(sheet.title(), 1, 1, FORMATTED));
        return header(api, sheet, first, sqlSafe);
    }

    /** The header in the first of {@code rows} (a {@code values} answer from row 1 on; none when it is empty). */
    private static Header header(Api api, SheetInfo sheet, List<JsonNode> rows, boolean sqlSafe) {
        return Header.parse(api.spreadsheetId(), sheet.title(), rows.isEmpty() ? null : rows.get(0), sqlSafe);
    }

    private static Header checked(Header header, Long expected) {
        if (expected != null && expected != header.checksum()) {
            throw new BadInputException(InputLocation.of(A1.display(header.sheet()) + "!1:1"), "the header row"
                    + " changed since the position was taken, or the position was taken with other column names"
                    + " (now " + header.schema().names() + "): resuming would put values under other columns; read"
                    + " the sheet from the start" + Header.in(header.spreadsheet()));
        }
        return header;
    }

    private static JsonNode tail(List<JsonNode> rows) {
        ArrayNode tail = Api.JSON.createArrayNode();
        for (int i = 1; i < rows.size(); i++) {
            tail.add(rows.get(i));
        }
        return tail;
    }

    private static List<JsonNode> rows(JsonNode answer) {
        List<JsonNode> rows = new ArrayList<>();
        answer.path("values").forEach(rows::add);
        return rows;
    }

    /** The header that names the columns. */
    public Header header() {
        return header;
    }

    @Override
    public boolean hasNext() {
        while (ready == null) {
            JsonNode values;
            long first;
            long end;
            if (pending != null) {
                values = pending;
                first = pendingFirst;
                end = nextRow - 1;
                pending = null;
            } else if (nextRow <= sheet.rowCount()) {
                first = nextRow;
                end = Math.min(sheet.rowCount(), nextRow + batchRows - 1);
                values = api.values(sheet.title(), first, end, render).path("values");
                nextRow = end + 1;
            } else {
                if (!anyBatch) {
                    // nothing at all: one empty batch, so that a loader can create (or empty) the table
                    anyBatch = true;
                    // "after" the header: a resume reads the rows below it again, so that values written into the
                    // grid's blank rows since are read, as they are after a sheet's last record
                    lastRow = 1;
                    lastCells = header.checksum();
                    ready = RecordBatch.of(header.schema(), List.of(), position(nextRow));
                    return true;
                }
                return false;
            }
            List<Record> records = records(values, first);
            LOG.debug("{} rows {}..{}: {} records", sheet.title(), first, end, records.size());
            if (!records.isEmpty()) {
                anyBatch = true;
                ready = RecordBatch.of(header.schema(), records, position(end + 1));
            }
        }
        return true;
    }

    @Override
    public RecordBatch next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        RecordBatch b = ready;
        ready = null;
        return b;
    }

    private SourcePosition position(long next) {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put(SHEET_ID, sheet.sheetId());
        values.put(NEXT_ROW, next);
        values.put(HEADER, header.checksum());
        values.put(VALUE_RENDER, valueRender);
        if (lastRow > 0) {
            values.put(LAST_ROW, lastRow);
            values.put(LAST_CELLS, lastCells);
        }
        return SourcePosition.of(source, values);
    }

    /** A checksum of a row's non-blank cells and their columns, as a {@code values} answer gives them. */
    private static long checksum(JsonNode cells) {
        CRC32 crc = new CRC32();
        for (int c = 0; c < cells.size(); c++) {
            String v = Cells.text(cells.get(c));
            if (v != null) {
                crc.update((c + "\u0000" + v + "\u0000").getBytes(StandardCharsets.UTF_8));
            }
        }
        return crc.getValue();
    }

    private List<Record> records(JsonNode values, long firstRow) {
        List<Record> records = new ArrayList<>(values.size());
        int columns = header.schema().size();
        long row = firstRow;
        for (JsonNode cells : values) {
            Object[] record = new Object[columns];
            boolean any = false;
            for (int c = 0; c < cells.size(); c++) {
                String v = Cells.text(cells.get(c));
                if (v == null) {
                    continue;
                }
                any = true;
                InputLocation at = InputLocation.of(A1.cell(sheet.title(), c, row)).withExcerpt(v);
                if (c >= header.width()) {
                    throw new BadInputException(at, "a value beyond the header: the header row ends at column "
                            + A1.column(header.width() - 1) + ", so column " + A1.column(c) + " has no name; name it in "
                            + A1.column(c) + "1 or clear the cell" + Header.in(header.spreadsheet()));
                }
                int p = header.position(c);
                if (p < 0) {
                    throw new BadInputException(at, "a value in a column without a header: " + A1.column(c) + "1 is"
                            + " empty; name the column there or clear the cell" + Header.in(header.spreadsheet()));
                }
                if (v.indexOf('\0') >= 0) {
                    throw new BadInputException(at.withColumn(header.schema().field(p).name()), "the value holds a NUL"
                            + " character, which PostgreSQL text cannot store" + Header.in(header.spreadsheet()));
                }
                record[p] = v;
            }
            if (any) {
                records.add(Record.of(record));
                lastRow = row;
                lastCells = checksum(cells);
            }
            row++;
        }
        return records;
    }
}
