package dev.mds.connector.csv;

import dev.mds.testing.MdsPostgres;

/** {@link DeadLetterTableTest} run by a warehouse role that owns the database and is not a superuser: good rows and dead letters land in tables it creates. */
@MdsPostgres(role = MdsPostgres.Role.OWNER)
class DeadLetterTableAsNonSuperuserTest extends DeadLetterTableTest {
}
