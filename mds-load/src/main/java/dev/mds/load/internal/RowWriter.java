package dev.mds.load.internal;

import dev.mds.core.Sql;
import dev.mds.load.internal.CopyBinary.Encoding;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.Arrays;
import java.util.List;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * How rows are written into one COPY: the binary encoding of each COPY column and the row body. A part of a load's
 * rows is sent with {@link #copy}, in binary when every value fits its encoding, else as text.
 */
record RowWriter(Encoding[] encodings, Body body) {

    /** Writes one row in the column order of a COPY statement. */
    @FunctionalInterface
    interface Body {
        void write(CopySink out, Row row) throws SQLException;
    }

    /** Whether every value of {@code rows} fits its column's binary encoding. */
    boolean binaryFits(List<Row> rows) {
        CopySink.Checker check = new CopySink.Checker(encodings);
        try {
            for (Row r : rows) {
                body.write(check, r);
                if (!check.fits()) {
                    return false;
                }
            }
        } catch (SQLException e) {
            return false;
        }
        return true;
    }

    /** This writer with each row's record number after its values (for a stage made by {@code LoadStatements.createStage(plan, true)}). */
    RowWriter numbered() {
        Encoding[] enc = Arrays.copyOf(encodings, encodings.length + 1);
        enc[enc.length - 1] = Encoding.INT8;
        return new RowWriter(enc, (out, row) -> body.write(new CopySink() {
            @Override
            void value(Object v) throws SQLException {
                out.value(v);
            }

            @Override
            void endRow() throws SQLException {
                out.value(row.recordNumber);
                out.endRow();
            }

            @Override
            void finish() throws SQLException {
                out.finish();
            }
        }, row));
    }

    /**
     * One COPY ({@code sql}) of {@code part}, inside a savepoint when {@code undoable} (so a refused row leaves the
     * transaction usable); throws the server's error with the COPY cancelled and the savepoint rolled back and
     * released.
     *
     * @return rows copied
     */
    long copy(Connection c, String sql, List<Row> part, boolean undoable) throws SQLException {
        Savepoint sp = undoable ? c.setSavepoint() : null;
        long t0 = System.nanoTime();
        CopyIn in = null;
        boolean binary = binaryFits(part);
        String copySql = binary ? sql + " (format binary)" : sql;
        try {
            in = c.unwrap(PGConnection.class).getCopyAPI().copyIn(copySql);
            CopySink out = binary ? CopySink.binary(in, encodings) : CopySink.text(in);
            for (Row r : part) {
                body.write(out, r);
            }
            out.finish();
            long n = in.endCopy();
            in = null;
            Sql.logged(copySql + " [" + n + " rows]", t0);
            if (sp != null) {
                c.releaseSavepoint(sp);
            }
            return n;
        } catch (SQLException e) {
            cancel(in);
            if (sp != null) {
                try {
                    c.rollback(sp);
                    c.releaseSavepoint(sp);   // so that many refused rows do not nest many subtransactions
                } catch (SQLException r) {
                    e.addSuppressed(r);
                    throw Sql.failed(copySql, e);   // the transaction is lost: not a refused row
                }
            }
            throw e;
        }
    }

    private static void cancel(CopyIn in) {
        if (in != null && in.isActive()) {
            try {
                in.cancelCopy();
            } catch (SQLException c) {
                // the COPY already failed; the server's message is what matters
            }
        }
    }
}
