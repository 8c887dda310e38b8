package dev.mds.connector.sheets.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One sheet (tab) of a spreadsheet as {@code spreadsheets.get} describes it.
 *
 * @param title the tab's name
 * @param sheetId its id (the {@code gid} of its URL), stable across renames
 * @param index its position among the tabs
 * @param type {@code GRID}, or {@code OBJECT} for a chart sheet
 * @param rowCount rows in the grid (not rows with data)
 * @param columnCount columns in the grid
 */
public record SheetInfo(String title, long sheetId, int index, String type, long rowCount, long columnCount) {
    /** Whether the sheet holds cells (not only a chart). */
    public boolean grid() {
        return type.equals("GRID");
    }

    /** The sheets of a {@code spreadsheets.get} answer, in tab order. */
    public static List<SheetInfo> of(JsonNode spreadsheet) {
        List<SheetInfo> sheets = new ArrayList<>();
        for (JsonNode s : spreadsheet.path("sheets")) {
            JsonNode p = s.path("properties");
            JsonNode grid = p.path("gridProperties");
            sheets.add(new SheetInfo(p.path("title").asText(), p.path("sheetId").asLong(), p.path("index").asInt(),
                    p.path("sheetType").asText("GRID"), grid.path("rowCount").asLong(0),
                    grid.path("columnCount").asLong(0)));
        }
        sheets.sort(Comparator.comparingInt(SheetInfo::index));
        return sheets;
    }
}
