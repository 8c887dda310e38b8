/**
 * Implementation of mds-vault, not API: {@link dev.mds.vault.internal.HashSql} renders the hash expressions
 * and {@link dev.mds.vault.internal.Canonical} writes the same bytes in Java.
 */
package dev.mds.vault.internal;
