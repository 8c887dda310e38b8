package dev.mds.vault;

/**
 * The digest behind hash keys and hashdiffs, stored as {@code bytea} of {@link #bytes()} bytes.
 *
 * <pre>{@code
 * Vault.on(dataSource).algorithm(HashAlgorithm.SHA256);
 * }</pre>
 */
public enum HashAlgorithm {
    /** MD5, 16 bytes; the default (as in AutomateDV). */
    MD5(16, "MD5"),
    /** SHA-256, 32 bytes. */
    SHA256(32, "SHA-256");

    private final int bytes;
    private final String javaName;

    HashAlgorithm(int bytes, String javaName) {
        this.bytes = bytes;
        this.javaName = javaName;
    }

    /** The width of a hash in bytes. */
    public int bytes() {
        return bytes;
    }

    /** The name {@link java.security.MessageDigest} knows it by. */
    public String javaName() {
        return javaName;
    }
}
