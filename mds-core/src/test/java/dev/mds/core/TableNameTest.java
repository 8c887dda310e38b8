package dev.mds.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TableNameTest {
    @Test
    void parsesSchemaAndNameLikePostgres() {
        TableName t = TableName.parse("raw.users");
        assertThat(t.schema()).isEqualTo("raw");
        assertThat(t.name()).isEqualTo("users");
        assertThat(t).isEqualTo(TableName.of("raw", "users")).hasSameHashCodeAs(TableName.of("raw", "users"));
        assertThat(TableName.parse("Raw.Users")).isEqualTo(TableName.of("raw", "users"));
        assertThat(TableName.parse("users")).isEqualTo(TableName.of("public", "users"));
    }

    @Test
    void foldsOnlyAsciiLettersOfUnquotedPartsAsPostgresDoesInAUtf8Database() {
        // PostgreSQL: create table Äpfel makes "Äpfel"; only A-Z are folded
        assertThat(TableName.parse("Obst.Äpfel")).isEqualTo(TableName.of("obst", "Äpfel"));
        assertThat(TableName.parse("ÄPFEL").name()).isEqualTo("Äpfel");
        // Unicode lower-casing would turn the Kelvin sign into an ASCII k and İ into two characters
        assertThat(TableName.parse("\u212Aelvin").name()).isEqualTo("\u212Aelvin");
        assertThat(TableName.parse("İL").name()).isEqualTo("İl");
    }

    @Test
    void keepsQuotedPartsExactly() {
        TableName t = TableName.parse("\"My Schema\".\"a.b\"\"c\"");
        assertThat(t.schema()).isEqualTo("My Schema");
        assertThat(t.name()).isEqualTo("a.b\"c");
        assertThat(t.quoted()).isEqualTo("\"My Schema\".\"a.b\"\"c\"");
    }

    @Test
    void toStringRoundTripsThroughParse() {
        for (TableName t : new TableName[] {TableName.of("raw", "users"), TableName.of("Raw", "My Table"),
                TableName.of("s", "a\"; drop"), TableName.of("ünï", "cödé"), TableName.of("s", "order"),
                TableName.of("s", "1abc")}) {
            assertThat(TableName.parse(t.toString())).as(t.toString()).isEqualTo(t);
        }
        assertThat(TableName.of("raw", "users")).hasToString("raw.users");
        assertThat(TableName.of("raw", "Users")).hasToString("raw.\"Users\"");
    }

    @Test
    void rejectsMalformedNames() {
        assertThatThrownBy(() -> TableName.parse("a.b.c")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3 parts");
        assertThatThrownBy(() -> TableName.parse("\"open")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unterminated");
        assertThatThrownBy(() -> TableName.parse("a.")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TableName.parse("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TableName.parse("raw." + "x".repeat(64))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("63");
    }

    @Test
    void refusesUnquotedPartsPostgresWouldNotReadAsANameAndNamesTheInput() {
        for (String in : new String[] {"my table", "raw.my table", "1abc", "raw.1abc", "a-b", "raw.a-b", "raw.users;",
                "$x", "a b.c", "a\tb"}) {
            assertThatThrownBy(() -> TableName.parse(in)).as(in).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("cannot read table name '" + in + "'")
                    .hasMessageContaining("quoted");
        }
        assertThatThrownBy(() -> TableName.parse("raw.a-b")).hasMessage("cannot read table name 'raw.a-b': the unquoted"
                + " part 'a-b' has '-' at position 2, which PostgreSQL reads only in a quoted name: write \"a-b\" (an"
                + " unquoted name is a letter or _, then letters, digits, _ or $)");
        assertThatThrownBy(() -> TableName.parse("1abc")).hasMessageContaining("'1abc' starts with '1'");
        // quoted, the same text is a name, kept exactly
        assertThat(TableName.parse("\"my table\"")).isEqualTo(TableName.of("public", "my table"));
        assertThat(TableName.parse("raw.\"1abc\"")).isEqualTo(TableName.of("raw", "1abc"));
        assertThat(TableName.parse("\"a-b\".\"My Table\"")).isEqualTo(TableName.of("a-b", "My Table"));
        // what PostgreSQL does read unquoted: _ first, digits and $ after the first character, any non-ASCII letter
        assertThat(TableName.parse("_x.a$1")).isEqualTo(TableName.of("_x", "a$1"));
        assertThat(TableName.parse("ünï.é9")).isEqualTo(TableName.of("ünï", "é9"));
    }

    @Test
    void aPartRefusedByTheIdentifierRulesIsNamedWithTheWholeInput() {
        // PostgreSQL: zero-length delimited identifier at or near """"; a setting's value must be findable from the message
        assertThatThrownBy(() -> TableName.parse("raw.\"\"")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot read table name 'raw.\"\"': an identifier cannot be empty");
        assertThatThrownBy(() -> TableName.parse("\"a\0b\".users")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("cannot read table name '\"a\\0b\".users': identifier 'a\\0b' contains a NUL");
        String longName = "x".repeat(64);
        assertThatThrownBy(() -> TableName.parse("raw." + longName)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("cannot read table name 'raw." + longName + "': identifier '" + longName
                        + "' is 64 bytes long");
        assertThatThrownBy(() -> TableName.parse("\"\"")).hasMessage("cannot read table name '\"\"': an identifier cannot"
                + " be empty");
    }

    @Test
    void withNameKeepsSchema() {
        assertThat(TableName.parse("data_lake.transactions").withName("transactions_rejected"))
                .isEqualTo(TableName.of("data_lake", "transactions_rejected"));
    }
}
