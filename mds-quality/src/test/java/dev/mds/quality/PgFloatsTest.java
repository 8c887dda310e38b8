package dev.mds.quality;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.quality.internal.PgFloats;
import dev.mds.testing.MdsPostgres;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** PgFloats against the server's own text of the same values: random bit patterns, every exponent, and ties. */
@MdsPostgres
class PgFloatsTest {

    @Test
    void doublesAndRealsPrintAsTheServerPrintsThem(DataSource ds) throws Exception {
        SplittableRandom random = new SplittableRandom(20261125);
        List<Double> doubles = new ArrayList<>();
        List<Float> reals = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            doubles.add(Double.longBitsToDouble(random.nextLong()));
            reals.add(Float.intBitsToFloat(random.nextInt()));
        }
        for (int e = -330; e <= 310; e++) {   // short decimals, which sit on or near the ties
            doubles.add(Double.parseDouble("1e" + e));
            doubles.add(Double.parseDouble("5e" + e));
            doubles.add(Double.parseDouble("9.5e" + e));
            reals.add(Float.parseFloat("1e" + e));
            reals.add(Float.parseFloat("3e" + e));
        }
        for (int p = -1074; p <= 1023; p++) {
            doubles.add(Math.scalb(1.0, p));
            reals.add(Math.scalb(1.0f, Math.max(-149, Math.min(127, p))));
        }
        doubles.removeIf(d -> Double.isNaN(d));
        reals.removeIf(f -> Float.isNaN(f));
        try (Connection c = ds.getConnection()) {
            List<String> d = texts(c, "float8", doubles.toArray());
            List<String> r = texts(c, "float4", reals.toArray());
            List<String> wrong = new ArrayList<>();
            for (int i = 0; i < doubles.size(); i++) {
                if (!PgFloats.text(doubles.get(i)).equals(d.get(i))) {
                    wrong.add("double " + doubles.get(i) + ": " + PgFloats.text(doubles.get(i)) + " <> " + d.get(i));
                }
            }
            for (int i = 0; i < reals.size(); i++) {
                if (!PgFloats.text(reals.get(i)).equals(r.get(i))) {
                    wrong.add("real " + reals.get(i) + ": " + PgFloats.text(reals.get(i)) + " <> " + r.get(i));
                }
            }
            assertThat(wrong).isEmpty();
        }
    }

    /** The server's text of each value, sent exactly (Java's text of a double or float reads back as it). */
    private static List<String> texts(Connection c, String type, Object[] values) throws Exception {
        String[] text = new String[values.length];
        for (int i = 0; i < values.length; i++) {
            text[i] = values[i].toString();
        }
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("select v::" + type + "::text from unnest(?::text[]) with ordinality u(v, i) order by i")) {
            Array a = c.createArrayOf("text", text);
            ps.setArray(1, a);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }
}
