package dev.mds.connector.sheets.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** SQL-safe names as Airbyte's names_conversion makes them (its own unit-test cases), cell text, A1 letters. */
class NameConversionTest {
    @Test
    void convertsAsAirbytesNameConversionDoes() {
        Map<String, String> airbyte = Map.ofEntries(
                Map.entry("My_Name", "my_name"), Map.entry("My Name", "my_name"), Map.entry("MyName", "my_name"),
                Map.entry("mYName", "m_yname"), Map.entry("MyName123", "my_name_123"),
                Map.entry("My123name", "my_123_name"), Map.entry("My_Name!", "my_name_"),
                Map.entry("My_Name____c", "my_name_c"), Map.entry("1MyName", "_1_my_name"),
                Map.entry("!MyName", "_my_name"), Map.entry("прівит світ", "privit_svit"),
                Map.entry("Größe in m²", "grosse_in_m_2"), Map.entry("Ёлка", "iolka"), Map.entry("*****", ""));
        airbyte.forEach((in, out) -> assertThat(NameConversion.convert(in)).as(in).isEqualTo(out));
    }

    @Test
    void cellsAreTextAndBlankCellsNull() throws Exception {
        JsonNode row = Api.JSON.readTree("[\"x\", \" \", \"\", 7, 7.50, 0.125, 1e2, true, null, \" a \"]");
        List<String> texts = new ArrayList<>();
        row.forEach(c -> texts.add(Cells.text(c)));
        assertThat(texts).containsExactly("x", null, null, "7", "7.5", "0.125", "100", "TRUE", null, " a ");
    }

    @Test
    void columnLettersAndSheetNamesInA1Notation() {
        assertThat(List.of(A1.column(0), A1.column(25), A1.column(26), A1.column(701), A1.column(702)))
                .containsExactly("A", "Z", "AA", "ZZ", "AAA");
        assertThat(A1.cell("pricing", 5, 7)).isEqualTo("pricing!F7");
        assertThat(A1.cell("Q1 plan", 0, 2)).isEqualTo("'Q1 plan'!A2");
        assertThat(A1.cell("A1", 0, 2)).isEqualTo("'A1'!A2");   // a name that reads as a cell is quoted
        assertThat(A1.rows("it's", 2, 201)).isEqualTo("'it''s'!2:201");
    }
}
