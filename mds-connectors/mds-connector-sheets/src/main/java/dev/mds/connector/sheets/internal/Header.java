package dev.mds.connector.sheets.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mds.core.BadInputException;
import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.InputLocation;
import dev.mds.core.Schema;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * A sheet's first row as column names: trimmed, or converted to SQL-safe names from the text as the sheet shows it
 * (white space around a name becomes an underscore, as in Airbyte's {@code names_conversion}). A blank header cell
 * leaves its column out (a value below it is bad input); the header ends at its last non-blank cell (a value to the
 * right of it is bad input). Duplicate names are bad input, located at the second one.
 */
public final class Header {
    private final String spreadsheet;
    private final String sheet;
    private final Schema schema;
    /** Per sheet column up to the header's end: the schema position of its column, or -1 for a blank header cell. */
    private final int[] positions;
    private final long checksum;

    private Header(String spreadsheet, String sheet, Schema schema, int[] positions, long checksum) {
        this.spreadsheet = spreadsheet;
        this.sheet = sheet;
        this.schema = schema;
        this.positions = positions;
        this.checksum = checksum;
    }

    /**
     * Reads the header row of a sheet of the spreadsheet {@code spreadsheet} (its id, named in errors).
     *
     * @throws BadInputException when the row is empty, a name repeats, or a name cannot be a column name
     */
    public static Header parse(String spreadsheet, String sheet, JsonNode row, boolean sqlSafe) {
        // what a name is made of: the cell trimmed, or for SQL-safe names the cell as the sheet shows it, since
        // Airbyte's names_conversion makes white space around a name an underscore (" Price" is _price)
        List<String> raw = new ArrayList<>();
        if (row != null) {
            for (JsonNode cell : row) {
                String t = Cells.text(cell);
                raw.add(t == null ? null : sqlSafe ? t : Cells.strip(t));
            }
        }
        while (!raw.isEmpty() && raw.get(raw.size() - 1) == null) {
            raw.remove(raw.size() - 1);
        }
        if (raw.isEmpty()) {
            throw new BadInputException(InputLocation.of(A1.display(sheet) + "!1:1"), "the header row is empty: the"
                    + " first row of the sheet must hold the column names" + in(spreadsheet));
        }
        int[] positions = new int[raw.size()];
        List<Field> fields = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        CRC32 crc = new CRC32();
        for (int i = 0; i < raw.size(); i++) {
            String text = raw.get(i);
            crc.update((i + "\u0000" + (text == null ? "" : text) + "\u0000").getBytes(StandardCharsets.UTF_8));
            if (text == null) {
                positions[i] = -1;
                continue;
            }
            InputLocation at = InputLocation.of(A1.cell(sheet, i, 1)).withExcerpt(text);
            String name = sqlSafe ? NameConversion.convert(text) : text;
            if (name.isEmpty()) {
                throw new BadInputException(at, "header \"" + text + "\" has no letter or digit, so its SQL-safe name"
                        + " would be empty; rename it" + in(spreadsheet));
            }
            Integer first = seen.putIfAbsent(name, i);
            if (first != null) {
                String firstCell = A1.column(first) + "1";
                boolean converted = sqlSafe && !(name.equals(text) && name.equals(raw.get(first)));
                throw new BadInputException(at.withColumn(name), converted
                        ? "header \"" + text + "\" and " + firstCell + " \"" + raw.get(first) + "\" both become '"
                                + name + "' as SQL-safe names: column names must be unique; rename one" + in(spreadsheet)
                        : "header '" + name + "' repeats " + firstCell + ": column names must be unique; rename one"
                                + in(spreadsheet));
            }
            try {
                fields.add(Field.of(name, FieldType.STRING));
            } catch (IllegalArgumentException e) {
                throw new BadInputException(at, "header cannot be a column name: " + e.getMessage()
                        + in(spreadsheet));
            }
            positions[i] = fields.size() - 1;
        }
        if (sqlSafe) {
            // the same cells under other names: a position taken with TRIMMED names must not resume with SQL_SAFE ones
            crc.update("sql_safe".getBytes(StandardCharsets.UTF_8));
        }
        return new Header(spreadsheet, sheet, Schema.of(fields), positions, crc.getValue());
    }

    /**
     * {@code " (spreadsheet <id>)"}: ends every bad-input message, whose location names only the sheet and cell, so
     * that a program reading several spreadsheets knows which one to fix.
     */
    public static String in(String spreadsheet) {
        return " (spreadsheet " + spreadsheet + ")";
    }

    /** The columns: every one text, nullable. */
    public Schema schema() {
        return schema;
    }

    /**
     * A checksum of the header's cells and of the name conversion, kept in positions so that a resumed read refuses a
     * changed header, or other column names for the same header.
     */
    public long checksum() {
        return checksum;
    }

    /** How many sheet columns the header spans (to its last non-blank cell). */
    public int width() {
        return positions.length;
    }

    /** The schema position of a sheet column (0-based), or -1 when its header cell is blank. */
    public int position(int column) {
        return positions[column];
    }

    /** The sheet's name. */
    public String sheet() {
        return sheet;
    }

    /** The id of the spreadsheet the sheet is in. */
    public String spreadsheet() {
        return spreadsheet;
    }
}
