package dev.mds.examples;

import dev.mds.core.Sql;
import dev.mds.testing.SeedData;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.postgresql.PGConnection;

/**
 * The SaaS product database the main pipeline replays (berrei02/modern-data-stack): {@code product.users} and
 * {@code product.subscriptions}, with the rows of its README, read from {@code 000-saas-product} in the seed data.
 */
public final class ProductDatabase {
    private ProductDatabase() {
    }

    /** Creates the schema as the source project's DDL has it, and fills it. */
    public static void create(DataSource ds) throws SQLException, IOException {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            Sql.execute(c, "create schema if not exists product");
            Sql.execute(c, "create table product.users (user_id serial primary key, name varchar)");
            Sql.execute(c, "create table product.subscriptions (id serial primary key, start_date date, end_date date,"
                    + " user_id int, subscription varchar, paid boolean)");
            copy(c, "product.users (user_id, name)", "000-saas-product/users.csv");
            copy(c, "product.subscriptions (id, start_date, end_date, user_id, subscription, paid)",
                    "000-saas-product/subscriptions.csv");
            // the serial columns continue after the loaded ids, as if the rows had been inserted one by one
            Sql.execute(c, "select setval(pg_get_serial_sequence('product.users', 'user_id'), (select max(user_id) from product.users))");
            Sql.execute(c, "select setval(pg_get_serial_sequence('product.subscriptions', 'id'), (select max(id) from product.subscriptions))");
            c.commit();
        }
    }

    /**
     * Copies a seed file into {@code target}.
     *
     * @throws SQLException when PostgreSQL refuses the file, naming it: COPY's message names only the table and the
     *     line (counted from the header, so the file's line)
     * @throws IllegalStateException when the file holds no rows (empty, or its header only), which COPY accepts
     */
    private static void copy(Connection c, String target, String seedFile) throws SQLException, IOException {
        Path file = SeedData.file(seedFile);
        long rows;
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            rows = c.unwrap(PGConnection.class).getCopyAPI().copyIn("copy " + target + " from stdin (format csv, header true)", in);
        } catch (SQLException e) {
            throw new SQLException("seed file " + file.toAbsolutePath() + " cannot be loaded into " + target + ": "
                    + e.getMessage(), e.getSQLState(), e);
        }
        if (rows == 0) {
            throw new IllegalStateException("seed file " + file.toAbsolutePath() + " holds no rows for " + target);
        }
    }
}
