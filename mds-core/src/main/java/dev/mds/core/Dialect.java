package dev.mds.core;

import java.sql.Connection;
import java.util.Optional;

/**
 * What mds needs to know about a SQL engine: how it spells types, which version it runs and which features
 * that version has. The seam for a second engine later; today there is {@link PostgresDialect}.
 *
 * <pre>{@code
 * Dialect dialect = PostgresDialect.INSTANCE;
 * dialect.typeName(FieldType.decimal(12, 2));          // numeric(12,2)
 * Dialect.Features f = dialect.features(connection);   // f.mergeReturningAction() on PostgreSQL 17+
 * Optional<Schema> s = dialect.readSchema(connection, TableName.parse("raw.users"));
 * }</pre>
 */
public interface Dialect {
    /** The engine's name for the type, ready for DDL. */
    String typeName(FieldType type);

    /**
     * The logical type of a column from JDBC metadata.
     *
     * @param jdbcType the {@link java.sql.Types} code
     * @param typeName the engine's type name (for example {@code int8}, {@code _text}, {@code jsonb})
     * @param precision the declared precision, 0 if none
     * @param scale the declared scale
     * @throws MdsException for a type mds has no logical type for, naming it
     */
    FieldType fieldType(int jdbcType, String typeName, int precision, int scale);

    /** The server's version, read from the connection. */
    ServerVersion serverVersion(Connection connection);

    /**
     * The features of the server behind the connection.
     *
     * @throws MdsException when the server is older than mds supports, saying which version is needed
     */
    Features features(Connection connection);

    /**
     * The columns of an existing table or view, in order, its identity and generated columns marked
     * ({@link Field#generation()}: an insert lists {@link Schema#writable()}); empty when there is no such relation
     * (an index or a sequence of the name is none).
     */
    Optional<Schema> readSchema(Connection connection, TableName table);

    /** A server version, such as 17.2. */
    record ServerVersion(int major, int minor) implements Comparable<ServerVersion> {
        @Override
        public int compareTo(ServerVersion o) {
            return major != o.major ? Integer.compare(major, o.major) : Integer.compare(minor, o.minor);
        }

        /** Whether this version's major is at least {@code wantedMajor}. */
        public boolean atLeast(int wantedMajor) {
            return major >= wantedMajor;
        }

        @Override
        public String toString() {
            return major + "." + minor;
        }
    }

    /**
     * What the server can do.
     *
     * @param version the server version
     * @param merge {@code MERGE} exists (PostgreSQL 15)
     * @param mergeReturningAction {@code MERGE … RETURNING merge_action()} exists (PostgreSQL 17)
     */
    record Features(ServerVersion version, boolean merge, boolean mergeReturningAction) {
    }
}
