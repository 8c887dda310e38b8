package dev.mds.connector.postgres.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.testing.MdsPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@MdsPostgres
class RealDigitsTest {

    /**
     * A real's digits are PostgreSQL's own: for random bit patterns (normal, subnormal, powers of two) the double the
     * source carries equals the real's text in PostgreSQL read as a double. Java 17's Float.toString gave other
     * digits for over 1,000 of these 20,000.
     */
    @Test
    void aRealIsTheDoubleOfItsTextInPostgresql(DataSource ds) throws Exception {
        Random random = new Random(33);
        List<Float> reals = new ArrayList<>(List.of(Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, 0.1f, -0.0f,
                2.8287938e17f, 1e23f, 16777217f));
        for (int e = -149; e <= 127; e++) {
            reals.add((float) Math.scalb(1.0, e));
        }
        while (reals.size() < 20_000) {
            float f = Float.intBitsToFloat(random.nextInt());
            if (!Float.isNaN(f) && !Float.isInfinite(f)) {
                reals.add(f);
            }
        }
        List<String> wrong = new ArrayList<>();
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement("select r::text from unnest(?::real[]) with ordinality u(r, i) order by i")) {
            ps.setArray(1, c.createArrayOf("float4", reals.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                for (Float f : reals) {
                    rs.next();
                    double expected = Double.parseDouble(rs.getString(1));
                    if (Double.compare(RecordMapper.realDigits(f), expected) != 0) {
                        wrong.add(f + " is " + rs.getString(1) + " in PostgreSQL, carried as " + RecordMapper.realDigits(f));
                    }
                }
            }
        }
        assertThat(wrong).isEmpty();
    }
}
