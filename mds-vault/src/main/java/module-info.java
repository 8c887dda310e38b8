/**
 * mds-vault: Data Vault 2.0 staging hashes, hubs, links, satellites, effectivity satellites and PITs, loaded in SQL;
 * start with {@code dev.mds.vault.Vault}. {@code dev.mds.vault.internal} is not exported.
 */
module dev.mds.vault {
    requires transitive dev.mds.core;
    requires org.slf4j;

    exports dev.mds.vault;
}
