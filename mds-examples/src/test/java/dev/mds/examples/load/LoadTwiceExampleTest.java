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

/** LoadTwiceExample's reading of the forex CSV: the seed file whole, and a malformed file refused at its line. */
class LoadTwiceExampleTest {
    @Test
    void theSeedFileIsReadWhole() {
        RecordBatch batch = LoadTwiceExample.read(SeedData.file("002-forex-transactions/customer_transactions.csv"));
        assertThat(batch.size()).isEqualTo(100);   // SOURCE.md: 100 data rows
        assertThat(batch.schema().size()).isEqualTo(14);
    }

    @Test
    void aLineWhoseFieldsDoNotMatchTheHeaderIsRefusedAtItsLine(@TempDir Path dir) throws Exception {
        Path extra = Files.writeString(dir.resolve("extra.csv"), "id,city,price\n1,Bern,2\n2,Zurich,3,4\n",
                StandardCharsets.UTF_8);
        assertThatThrownBy(() -> LoadTwiceExample.read(extra)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("extra.csv").hasMessageContaining("line 3").hasMessageContaining("4 fields")
                .hasMessageContaining("3 columns");

        Path shorter = Files.writeString(dir.resolve("short.csv"), "id,city,price\n1,Bern\n", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> LoadTwiceExample.read(shorter)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("short.csv").hasMessageContaining("line 2");

        // a quoted field holding a comma: this reader does not read quotes, so it refuses the line rather than split it
        Path quoted = Files.writeString(dir.resolve("quoted.csv"), "id,city,price\n1,\"Zurich, CH\",2\n",
                StandardCharsets.UTF_8);
        assertThatThrownBy(() -> LoadTwiceExample.read(quoted)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("quoted.csv").hasMessageContaining("line 2").hasMessageContaining("quote");
    }
}
