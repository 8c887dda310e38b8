package dev.mds.examples;

import dev.mds.testing.EmbeddedPostgresServer;
import dev.mds.testing.TestDatabase;
import javax.sql.DataSource;

/**
 * The main example: starts an embedded PostgreSQL 17, creates the SaaS product database the pipeline replays
 * and prints its tables. Run it with
 * {@code ./mvnw -q -DskipTests package && java -jar mds-examples/target/mds-examples.jar}.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        try (EmbeddedPostgresServer server = EmbeddedPostgresServer.builder().start()) {
            TestDatabase product = server.createDatabase("product");
            DataSource ds = product.dataSource();
            ProductDatabase.create(ds);
            Tables.print(ds, "product.users", System.out);
            Tables.print(ds, "product.subscriptions", System.out);
            product.close();
        }
    }
}
