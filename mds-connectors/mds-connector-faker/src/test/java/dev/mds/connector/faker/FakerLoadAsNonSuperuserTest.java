package dev.mds.connector.faker;

import dev.mds.testing.MdsPostgres;

/** {@link FakerLoadTest} run by a warehouse role that owns the database and is not a superuser: the generated streams load into tables it creates. */
@MdsPostgres(role = MdsPostgres.Role.OWNER)
class FakerLoadAsNonSuperuserTest extends FakerLoadTest {
}
