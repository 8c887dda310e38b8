package dev.mds.load.internal;

import dev.mds.load.internal.CopyBinary.Encoding;
import java.sql.SQLException;
import org.postgresql.copy.CopyIn;

/** Receives the values of rows in COPY column order, in text or binary format. */
abstract class CopySink {
    /** The next value of the current row. */
    abstract void value(Object v) throws SQLException;

    /** Ends the current row. */
    abstract void endRow() throws SQLException;

    /** Ends the data and sends what is buffered. */
    abstract void finish() throws SQLException;

    static CopySink text(CopyIn in) {
        CopyText out = new CopyText(in);
        return new CopySink() {
            @Override
            void value(Object v) throws SQLException {
                out.value(v);
            }

            @Override
            void endRow() throws SQLException {
                out.endRow();
            }

            @Override
            void finish() throws SQLException {
                out.flush();
            }
        };
    }

    static CopySink binary(CopyIn in, Encoding[] encodings) {
        CopyBinary out = new CopyBinary(in);
        return new CopySink() {
            private int column;

            @Override
            void value(Object v) throws SQLException {
                if (column == 0) {
                    out.startRow(encodings.length);
                }
                out.value(v, encodings[column++]);
            }

            @Override
            void endRow() {
                column = 0;
            }

            @Override
            void finish() throws SQLException {
                out.finish();
            }
        };
    }

    /** A sink that sends nothing and tells whether every value fits its column's binary encoding. */
    static final class Checker extends CopySink {
        private final Encoding[] encodings;
        private int column;
        private boolean fits = true;

        Checker(Encoding[] encodings) {
            this.encodings = encodings;
        }

        boolean fits() {
            return fits;
        }

        @Override
        void value(Object v) {
            Encoding e = encodings[column++];
            if (e == null || !e.accepts(v)) {
                fits = false;
            }
        }

        @Override
        void endRow() {
            column = 0;
        }

        @Override
        void finish() {
        }
    }
}
