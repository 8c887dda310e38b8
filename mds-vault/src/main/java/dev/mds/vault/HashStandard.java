package dev.mds.vault;

/**
 * How values become the bytes that are hashed into hash keys and hashdiffs. Chosen per {@link Vault}.
 *
 * <pre>{@code
 * Vault.on(dataSource).standard(HashStandard.AUTOMATEDV);   // sits beside an AutomateDV vault
 * Vault.on(dataSource);                                      // CANONICAL, the default
 * }</pre>
 */
public enum HashStandard {
    /**
     * Byte-for-byte what AutomateDV renders for PostgreSQL: each column {@code NULLIF(UPPER(TRIM(CAST(c AS
     * VARCHAR))), '')}; NULL parts become {@code ^^}; parts joined with {@code ||}; a single-column key that is
     * NULL or empty hashes to NULL, a composite key is NULL when every part is; hashdiff columns sorted by name,
     * ignoring case (Jinja's {@code sort}). Inherits AutomateDV's weaknesses: the text of dates, timestamps and floats depends on session settings,
     * {@code ('A||B','C')} equals {@code ('A','B||C')}, a real {@code '^^'} equals NULL, and SHA-256 input goes
     * through a text-to-bytea cast that breaks on backslashes.
     */
    AUTOMATEDV,
    /**
     * Session-independent and unambiguous: each part is {@code <characters>:<text>} or {@code ~} for NULL, the
     * text being a type-specific canonical form (numbers without trailing zeros, times as UTC epoch
     * microseconds, dates as epoch days, floats as their IEEE bits in hex with {@code -0} as {@code 0} and every
     * NaN as {@code 7ff8000000000000}, bytes as hex); the concatenation is hashed as UTF-8. A date or timestamp
     * {@code 'infinity'} is the text {@code infinity} and {@code '-infinity'} is {@code -infinity} (in Java:
     * {@code MAX} and {@code MIN} of {@code LocalDate}, {@code LocalDateTime}, {@code OffsetDateTime} or
     * {@code Instant}, which is how pgjdbc reads them). A {@code char(n)} value is hashed without its trailing
     * blanks, as PostgreSQL compares it, so {@code 'ab'} in a {@code char(5)} and in a {@code text} column give one
     * hash (the Java {@link Hasher} needs {@link Hasher.Builder#charColumns} for it: pgjdbc reads it padded). No
     * case folding or trimming (both depend on the database's collation). A hashdiff's columns are hashed in the
     * order the stage lists them (not sorted: sorting would change the hashdiffs vaults already store). The Java
     * {@link Hasher} gives the same bytes as the SQL.
     */
    CANONICAL
}
