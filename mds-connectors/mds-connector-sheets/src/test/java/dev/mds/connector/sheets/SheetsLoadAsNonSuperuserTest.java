package dev.mds.connector.sheets;

import dev.mds.testing.MdsPostgres;

/** {@link SheetsLoadTest} run by a warehouse role that owns the database and is not a superuser: the sheet loads into a table it creates. */
@MdsPostgres(role = MdsPostgres.Role.OWNER)
class SheetsLoadAsNonSuperuserTest extends SheetsLoadTest {
}
