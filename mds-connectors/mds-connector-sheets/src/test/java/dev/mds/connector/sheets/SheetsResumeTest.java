package dev.mds.connector.sheets;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.Record;
import dev.mds.core.RecordBatch;
import dev.mds.core.SourcePosition;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A read resumed from any batch's position gives exactly what the uninterrupted read gave after that batch: the same
 * records once each, the same schema (column names as {@link ColumnNames} makes them), the same positions, and a bad
 * cell fails at the same cell with the same message; over several sheets, batch sizes, value renders, blank rows and
 * trailing empty cells. And what a resume does when the sheet changed since its position.
 */
class SheetsResumeTest {
    private static final String ID = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms";
    private static final int[] BATCH_ROWS = {1, 2, 3, 5, 10_000};

    @TempDir
    Path dir;
    private MutableClock clock;
    private FakeGoogle google;
    private Path keyFile;

    @BeforeEach
    void start() throws IOException {
        clock = new MutableClock(Instant.now());
        google = new FakeGoogle(clock);
        keyFile = google.writeKeyFile(dir);
    }

    @AfterEach
    void stop() {
        google.close();
    }

    private SheetsSource.Builder source() {
        return SheetsSource.builder().spreadsheet(ID).credentials(SheetsCredentials.serviceAccount(keyFile))
                .endpoint(google.endpoint()).clock(clock).retries(3, Duration.ofMillis(1), Duration.ofMillis(5));
    }

    private static List<String> r(String... cells) {
        return Arrays.asList(cells);
    }

    /** The tabs of one spreadsheet: blank rows, ragged rows, trailing empty cells, gaps, a blank header cell. */
    private void tabs() {
        FakeGoogle.Sheet plain = google.sheet(ID, "plain", 14, List.of(
                r(" Id ", "Näme", "unit price", ""),
                r("1", "a", "1.50", ""),
                r("", "", "", ""),
                r("2", "b"),
                r("3", " ", "3.00", "", ""),
                r(" ", "\u00a0"),
                r("4", "d  ", "4.25"),
                r(),
                r(),
                r("5", "", "5"),
                r("6", "f", "6.5")));
        plain.rendered.put("UNFORMATTED_VALUE", List.of(r(), r(null, null, "1.5"), r(), r(), r(null, null, "3"),
                r(), r(null, null, "4.25"), r(), r(), r(null, null, "5"), r(null, null, "6.5")));
        plain.rendered.put("FORMULA", List.of(r("=\"id\"", null, null, null), r(null, null, "=3/2"), r(), r(),
                r(null, null, "=1+2"), r(), r(null, null, "4.25"), r(), r(), r(null, null, "=A10"),
                r(null, null, "=13/2")));
        google.sheet(ID, "Gap tab", 40, List.of(r("a", "", "c"), r("x1", "", "z1"), r(), r(), r(), r(), r(), r(),
                r(), r(), r("x2"), r("", "", "z3")));
        google.sheet(ID, "header only", 9, List.of(r("only", "header")));
        google.sheet(ID, "one row", 1, List.of(r("h")));
        List<List<String>> full = new ArrayList<>();
        full.add(r("n", "sq"));
        for (int i = 1; i <= 12; i++) {
            full.add(r(String.valueOf(i), String.valueOf(i * i)));
        }
        google.sheet(ID, "exact grid", 13, full);
        google.sheet(ID, "empty tab", 20, List.of());
    }

    @Test
    void aReadResumedFromAnyBatchGivesExactlyTheRestOfTheUninterruptedRead() {
        tabs();
        List<String> differences = new ArrayList<>();
        int resumes = 0;
        for (ColumnNames names : ColumnNames.values()) {
            for (ValueRender render : ValueRender.values()) {
                for (int rows : BATCH_ROWS) {
                    SheetsSource source = source().columnNames(names).valueRender(render).batchRows(rows).build();
                    for (String sheet : source.sheets()) {
                        List<RecordBatch> all = source.batches(sheet).toList();
                        String read = sheet + " " + names + " " + render + " batchRows " + rows;
                        for (int i = 0; i < all.size(); i++) {
                            SourcePosition at = SourcePosition.fromJson(all.get(i).position().orElseThrow().toJson());
                            // the first resume by another source, as a new run builds it
                            SheetsSource again = i > 0 ? source : source().columnNames(names).valueRender(render)
                                    .batchRows(rows).build();
                            List<RecordBatch> rest = again.batches(sheet, at).toList();
                            resumes++;
                            if (!rest.equals(all.subList(i + 1, all.size()))) {
                                differences.add(read + " after batch " + i + ":\n  want " + show(all.subList(i + 1,
                                        all.size())) + "\n  got  " + show(rest));
                            }
                            if (i == 0 && !again.schema(sheet).equals(all.get(i).schema())) {
                                differences.add(read + " after batch " + i + ": schema " + again.schema(sheet));
                            }
                        }
                    }
                }
            }
        }
        assertThat(differences).isEmpty();
        assertThat(resumes).isGreaterThan(300);
        // the property held over the names each mode makes, and over values each render gives
        SheetsSource safe = source().columnNames(ColumnNames.SQL_SAFE).valueRender(ValueRender.FORMULA).build();
        assertThat(safe.schema("plain").names()).containsExactly("_id_", "name", "unit_price");
        assertThat(safe.batches("plain").toList().get(0).records().get(2).values()).containsExactly("3", null, "=1+2");
        assertThat(source().build().schema("plain").names()).containsExactly("Id", "Näme", "unit price");
    }

    /** A bad cell fails a resumed read at the same cell with the same message, after the same batches. */
    @Test
    void aFailingReadResumedFromAnyBatchFailsAtTheSameCellWithTheSameMessage() {
        List<List<String>> rows = new ArrayList<>();
        rows.add(r("id", "", "v"));
        for (int i = 1; i <= 9; i++) {
            rows.add(i == 7 ? r("7", "under a blank header", "x") : r(String.valueOf(i), "", "v" + i));
        }
        google.sheet(ID, "blank header", 12, rows);
        List<List<String>> beyond = new ArrayList<>(rows.subList(0, 6));
        beyond.set(0, r("id", "w", "v"));
        beyond.add(r("6", "", "", "", "beyond"));
        google.sheet(ID, "beyond", 8, beyond);
        List<String> differences = new ArrayList<>();
        for (String sheet : List.of("blank header", "beyond")) {
            for (int batchRows : BATCH_ROWS) {
                for (ColumnNames names : ColumnNames.values()) {
                    SheetsSource source = source().batchRows(batchRows).columnNames(names).build();
                    List<RecordBatch> got = new ArrayList<>();
                    String failure = readUntilFailure(() -> source.batches(sheet).iterator(), got);
                    assertThat(failure).as(sheet).contains(sheet.equals("beyond") ? "beyond!E7" : "'blank header'!B8");
                    for (int i = 0; i < got.size(); i++) {
                        SourcePosition at = got.get(i).position().orElseThrow();
                        List<RecordBatch> rest = new ArrayList<>();
                        String again = readUntilFailure(() -> source.batches(sheet, at).iterator(), rest);
                        if (!rest.equals(got.subList(i + 1, got.size())) || !Objects.equals(failure, again)) {
                            differences.add(sheet + " batchRows " + batchRows + " " + names + " after " + i
                                    + ": want " + failure + ", got " + again + " after " + show(rest));
                        }
                    }
                }
            }
        }
        assertThat(differences).isEmpty();
    }

    /** A position taken with one batch size resumes with another to the same records, ending at the same row. */
    @Test
    void aPositionTakenWithOneBatchSizeResumesWithAnotherToTheSameRecords() {
        tabs();
        List<String> differences = new ArrayList<>();
        for (String sheet : List.of("plain", "Gap tab", "exact grid")) {
            List<RecordBatch> ones = source().batchRows(1).build().batches(sheet).toList();
            for (int i = 0; i < ones.size(); i++) {
                for (int rows : BATCH_ROWS) {
                    List<RecordBatch> rest = source().batchRows(rows).build().batches(sheet,
                            ones.get(i).position().orElseThrow()).toList();
                    if (!records(rest).equals(records(ones.subList(i + 1, ones.size())))) {
                        differences.add(sheet + " batchRows " + rows + " after record " + i + ": " + show(rest));
                    }
                }
            }
        }
        assertThat(differences).isEmpty();
    }

    /**
     * Rows appended after the last record read are read once, by the resumed read: into the grid's blank rows, after
     * the position or before it in the request of its last batch, or after the grid grew. Records before the position and after it then make the new sheet's records
     * once each.
     */
    @Test
    void rowsAppendedAfterThePositionAreReadOnceByTheResumedRead() {
        List<String> differences = new ArrayList<>();
        // with 4 and 5 rows a request, the last record (row 7) is not the last row of its request: rows 8 and 9 are
        // written into blank rows the position is already past
        for (int batchRows : new int[] {1, 2, 3, 4, 5}) {
            for (boolean grow : new boolean[] {false, true}) {
                List<List<String>> rows = new ArrayList<>();
                rows.add(r("id", "v"));
                for (int i = 1; i <= 6; i++) {
                    rows.add(r(String.valueOf(i), "v" + i));
                }
                FakeGoogle.Sheet sheet = google.sheet(ID, "t", grow ? 7 : 7 + 3 * batchRows, rows);
                SheetsSource source = source().batchRows(batchRows).build();
                List<RecordBatch> before = source.batches("t").toList();
                for (int i = 0; i < before.size(); i++) {
                    synchronized (google) {
                        sheet.rows.subList(7, sheet.rows.size()).clear();
                        sheet.rows.add(r("7", "appended"));
                        sheet.rows.add(r("8", "appended"));
                        sheet.rowCount = grow ? 9 : 7 + 3 * batchRows;
                    }
                    List<RecordBatch> both = new ArrayList<>(before.subList(0, i + 1));
                    both.addAll(source.batches("t", before.get(i).position().orElseThrow()).toList());
                    List<List<Object>> want = records(source.batches("t").toList());
                    if (!records(both).equals(want) || want.size() != 8) {
                        differences.add("batchRows " + batchRows + (grow ? " grown" : " in the grid") + " after "
                                + i + ": " + show(both));
                    }
                    synchronized (google) {
                        sheet.rows.subList(7, sheet.rows.size()).clear();
                        sheet.rowCount = 7 + (grow ? 0 : 3 * batchRows);
                    }
                }
                google.remove(ID, "t");
            }
        }
        assertThat(differences).isEmpty();
    }

    /**
     * A blank row inserted or deleted between the last record read and the position moves the rows after it across
     * the position: the resumed read rereads those blank rows, so each record is read once.
     */
    @Test
    void aBlankRowInsertedOrDeletedAfterTheLastRecordReadLosesAndRepeatsNothing() {
        List<List<String>> rows = List.of(r("id", "v"), r("1", "a"), r("2", "b"), r("3", "c"), r("4", "d"), r(), r(),
                r("5", "e"), r("6", "f"));
        List<String> differences = new ArrayList<>();
        for (int batchRows : new int[] {3, 5}) {
            for (int change = 0; change < 3; change++) {
                FakeGoogle.Sheet sheet = google.sheet(ID, "t", 12, rows);
                SheetsSource source = source().batchRows(batchRows).build();
                List<RecordBatch> all = source.batches("t").toList();
                // the batch whose last record is row 5, the position past the blank rows 6 and 7
                RecordBatch cut = all.stream().filter(b -> b.position().orElseThrow().getLong("last_row")
                        .orElseThrow() == 5).findFirst().orElseThrow();
                assertThat(cut.position().orElseThrow().getLong("next_row")).hasValueSatisfying(n ->
                        assertThat(n).isGreaterThan(6));
                synchronized (google) {
                    switch (change) {
                        case 0 -> sheet.rows.remove(5);
                        case 1 -> sheet.rows.add(5, r());
                        default -> sheet.rows.set(5, r("4.5", "written"));
                    }
                }
                List<RecordBatch> both = new ArrayList<>(all.subList(0, all.indexOf(cut) + 1));
                both.addAll(source.batches("t", cut.position().orElseThrow()).toList());
                if (!records(both).equals(records(source.batches("t").toList()))) {
                    differences.add("batchRows " + batchRows + " change " + change + ": " + show(both));
                }
                google.remove(ID, "t");
            }
        }
        assertThat(differences).isEmpty();
    }

    /**
     * Rows inserted or deleted above the position move the rows the position counts on: a resume would read rows
     * twice (inserted) or skip them (deleted). A resume refuses that, naming the row, as it refuses a renamed header.
     */
    @Test
    void aResumeRefusesRowsInsertedOrDeletedAboveThePositionAndARenamedHeader() {
        List<List<String>> rows = new ArrayList<>();
        rows.add(r("id", "v"));
        for (int i = 1; i <= 6; i++) {
            rows.add(r(String.valueOf(i), "v" + i));
        }
        List<String> outcomes = new ArrayList<>();
        for (int batchRows : new int[] {1, 4}) {
            for (String change : List.of("insert", "delete", "rename", "none")) {
                for (int at = 1; at <= 6; at++) {
                    FakeGoogle.Sheet sheet = google.sheet(ID, "t", 10, rows);
                    SheetsSource source = source().batchRows(batchRows).build();
                    List<RecordBatch> all = source.batches("t").toList();
                    for (int i = 0; i < all.size() - 1; i++) {
                        SourcePosition p = all.get(i).position().orElseThrow();
                        long next = p.getLong("next_row").orElseThrow();
                        if (at + 1 >= next) {
                            continue;   // a change below the position is read by the resumed read
                        }
                        synchronized (google) {
                            sheet.rows.clear();
                            sheet.rows.addAll(rows);
                            switch (change) {
                                case "insert" -> sheet.rows.add(at, r("new", "inserted"));
                                case "delete" -> sheet.rows.remove(at);
                                case "rename" -> sheet.rows.set(0, r("id", "value"));
                                default -> { }
                            }
                        }
                        List<RecordBatch> rest = new ArrayList<>();
                        String failure = readUntilFailure(() -> source.batches("t", p).iterator(), rest);
                        String what = change + " at row " + (at + 1) + " before next_row " + next + " batchRows "
                                + batchRows;
                        if (change.equals("none")) {
                            if (failure != null || !rest.equals(all.subList(i + 1, all.size()))) {
                                outcomes.add(what + ": " + failure + " " + show(rest));
                            }
                        } else if (failure == null) {
                            outcomes.add(what + ": resumed with " + records(rest));
                        } else if (!failure.contains(change.equals("rename") ? "t!1:1: the header row changed"
                                : "the row the position was taken after is no longer there")) {
                            outcomes.add(what + ": " + failure);
                        }
                    }
                    google.remove(ID, "t");
                }
            }
        }
        assertThat(outcomes).isEmpty();
    }

    private static String readUntilFailure(Supplier<Iterator<RecordBatch>> read, List<RecordBatch> into) {
        try {
            Iterator<RecordBatch> batches = read.get();
            while (batches.hasNext()) {
                into.add(batches.next());
            }
            return null;
        } catch (RuntimeException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    static List<List<Object>> records(List<RecordBatch> batches) {
        return batches.stream().flatMap(b -> b.records().stream()).map(Record::values)
                .map(v -> (List<Object>) new ArrayList<Object>(v)).toList();
    }

    static String show(List<RecordBatch> batches) {
        StringBuilder s = new StringBuilder();
        for (RecordBatch b : batches) {
            s.append('[').append(b.schema()).append(' ').append(records(List.of(b))).append(' ')
                    .append(b.position().map(SourcePosition::toJson).orElse("")).append("] ");
        }
        return s.toString();
    }
}
