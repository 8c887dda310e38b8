package dev.mds.connector.postgres;

import dev.mds.core.MdsException;
import java.time.Duration;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The child JVM of {@link CrashTest}: runs source → mds-load CDC → commit with offsets until it is killed.
 * Arguments: host port database user password slot table targetSchema.
 */
public final class CrashChild {
    private CrashChild() {
    }

    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        String database = args[2];
        PGSimpleDataSource warehouse = new PGSimpleDataSource();
        warehouse.setServerNames(new String[] {host});
        warehouse.setPortNumbers(new int[] {port});
        warehouse.setDatabaseName(database);
        warehouse.setUser(args[3]);
        warehouse.setPassword(args[4]);
        while (true) {
            PostgresCdcSource source = PostgresCdcSource.builder().connect(host, port, database).credentials(args[3], args[4])
                    .tables(args[6]).slot(args[5]).publication(args[5]).warehouse(warehouse)
                    .maxBatch(500, Duration.ofMillis(20)).heartbeat(Duration.ofSeconds(1)).build();
            try {
                source.run(Cdc.loadInto(warehouse, args[7]));
                return;
            } catch (MdsException e) {
                if (e.getMessage() != null && e.getMessage().contains("in use by another consumer")) {
                    // the killed predecessor's WAL sender has not noticed yet
                    Thread.sleep(200);
                    continue;
                }
                throw e;
            }
        }
    }
}
