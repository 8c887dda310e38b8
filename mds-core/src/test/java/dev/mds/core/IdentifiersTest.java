package dev.mds.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class IdentifiersTest {
    @Test
    void quotesEveryIdentifierAndDoublesEmbeddedQuotes() {
        assertThat(Identifiers.quote("users")).isEqualTo("\"users\"");
        assertThat(Identifiers.quote("a\"b")).isEqualTo("\"a\"\"b\"");
        assertThat(Identifiers.quote("x\"; drop table users; --")).isEqualTo("\"x\"\"; drop table users; --\"");
        assertThat(Identifiers.quote("order")).isEqualTo("\"order\"");
        assertThat(Identifiers.quote("Mixed Case")).isEqualTo("\"Mixed Case\"");
        assertThat(Identifiers.quote("zürich_€")).isEqualTo("\"zürich_€\"");
    }

    @Test
    void quotesQualifiedNamesAndLists() {
        assertThat(Identifiers.quote("raw", "users")).isEqualTo("\"raw\".\"users\"");
        assertThat(Identifiers.quoteAll(List.of("a", "b c"))).isEqualTo("\"a\", \"b c\"");
        assertThat(Identifiers.quoteAll("t", List.of("a", "b"))).isEqualTo("t.\"a\", t.\"b\"");
    }

    @Test
    void refusesNamesLongerThan63BytesInsteadOfTruncating() {
        String ok = "a".repeat(63);
        assertThat(Identifiers.quote(ok)).hasSize(65);
        assertThatThrownBy(() -> Identifiers.quote("a".repeat(64)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("64 bytes").hasMessageContaining("truncate");
        // 32 two-byte characters are 64 bytes although only 32 characters
        assertThatThrownBy(() -> Identifiers.quote("é".repeat(32)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("64 bytes");
    }

    @Test
    void cutsNamesToABytesBudgetBetweenCharacters() {
        assertThat(Identifiers.cutToBytes("orders", 3)).isEqualTo("ord");
        assertThat(Identifiers.cutToBytes("orders", 63)).isEqualTo("orders");
        assertThat(Identifiers.cutToBytes("caf\u00e9s", 4)).isEqualTo("caf");
        assertThat(Identifiers.cutToBytes("caf\u00e9s", 5)).isEqualTo("caf\u00e9");
        String emoji = "\uD83D\uDE00";   // 4 bytes, two chars
        assertThat(Identifiers.cutToBytes(emoji.repeat(3), 11)).isEqualTo(emoji.repeat(2));
        assertThat(Identifiers.cutToBytes("a" + emoji, 4)).isEqualTo("a");
        assertThat(Identifiers.cutToBytes("abc", 0)).isEmpty();
        for (int budget = 0; budget <= 14; budget++) {
            String cut = Identifiers.cutToBytes("x\u00e9\u20ac" + emoji + "y", budget);
            assertThat(cut.getBytes(java.nio.charset.StandardCharsets.UTF_8).length).isLessThanOrEqualTo(budget);
            assertThat(Identifiers.check(cut.isEmpty() ? "z" : cut)).isNotNull();   // no half surrogate pair
        }
    }

    @Test
    void shortHashIsTheStartOfTheNamesSha256InHex() {
        assertThat(Identifiers.shortHash("orders")).isEqualTo("1c168adb");
        assertThat(Identifiers.shortHash("caf\u00e9")).isEqualTo("850f7dc4");   // of the UTF-8 bytes
    }

    @Test
    void refusesEmptyAndNulNames() {
        assertThatThrownBy(() -> Identifiers.quote("")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> Identifiers.quote("a\0b")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NUL");
    }

    @Test
    void literalsDoubleQuotesAndEscapeBackslashes() {
        assertThat(Identifiers.literal("it's")).isEqualTo("'it''s'");
        assertThat(Identifiers.literal("a\\b")).isEqualTo("E'a\\\\b'");
        assertThat(Identifiers.literal("'; drop table x; --")).isEqualTo("'''; drop table x; --'");
        assertThatThrownBy(() -> Identifiers.literal("a\0")).isInstanceOf(IllegalArgumentException.class);
    }
}
