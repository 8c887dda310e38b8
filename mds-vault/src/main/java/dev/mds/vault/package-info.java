/**
 * Data Vault 2.0 on PostgreSQL: {@link dev.mds.vault.Vault} is the entry point. A {@link dev.mds.vault.Stage}
 * adds hash keys and hashdiffs (by a {@link dev.mds.vault.HashStandard}) to a source; hubs, links, transactional links,
 * satellites, multi-active satellites, effectivity satellites and PIT tables load from stages with set-based SQL; {@link dev.mds.vault.Hasher}
 * computes the same hashes in Java.
 */
package dev.mds.vault;
