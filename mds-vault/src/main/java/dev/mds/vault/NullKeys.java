package dev.mds.vault;

/**
 * What a hub or link does with a row whose hash key (or a link's reference) is NULL.
 *
 * <pre>{@code
 * vault.hub("dds.hub_users").nullKeys(NullKeys.GHOST)...
 * }</pre>
 */
public enum NullKeys {
    /** The row is not loaded (the default). */
    SKIP,
    /** The key becomes the ghost key: all zero bytes of the hash width. */
    GHOST
}
