package dev.mds.examples.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.core.RecordBatch;
import dev.mds.testing.SeedData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LoadTwiceExample's reading of the forex CSV as text: the seed file whole, values as written, and a malformed line
 * refused at its line.
 */
class LoadTwiceExampleTest {
    @Test
    void theSeedFileIsReadWhole() {
        RecordBatch batch = LoadTwiceExample.read(SeedData.file("002-forex-transactions/customer_transactions.csv"));
        assertThat(batch.size()).isEqualTo(100);   // SOURCE.md: 100 data rows
        assertThat(batch.schema().size()).isEqualTo(14);
    }

    @Test
    void everyValueIsTextAsWrittenAndAnEmptyFieldIsNull() {
        RecordBatch batch = LoadTwiceExample.read(SeedData.file("002-forex-transactions/customer_transactions.csv"));
        // line 2: 1001,501.0,2023-07-11,101,Product A,1.0,76.27,8.23,John,Doe,…,USA,New York; record 9 (1009) costs "Two Hundred"
        assertThat(batch.records().get(0).values()).startsWith("1001", "501.0", "2023-07-11", "101", "Product A", "1.0")
                .endsWith("USA", "New York");
        assertThat(batch.records().get(8).values()).contains("Two Hundred");
        assertThat(batch.records().stream().filter(r -> r.values().get(batch.schema().indexOf("quantity")) == null))
                .hasSize(16);   // the project's derived/missing_quantity.csv
    }

    @Test
    void aLineWhoseFieldsDoNotMatchTheHeaderIsRefusedAtItsLine(@TempDir Path dir) throws Exception {
        String seed = Files.readString(SeedData.file("002-forex-transactions/customer_transactions.csv"), StandardCharsets.UTF_8);
        Path extra = Files.writeString(dir.resolve("extra.csv"), seed.stripTrailing() + "\n1101,501.0,2023-07-11,101,Product A,1.0,"
                + "76.27,8.23,John,Doe,john.doe@example.com,+1-234-567-8901,USA,New York,one more\n", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> LoadTwiceExample.read(extra)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("extra.csv").hasMessageContaining("line 102");
    }
}
