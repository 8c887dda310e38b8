package dev.mds.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.HexFormat;
import java.util.StringJoiner;

/**
 * The one place where mds turns names and literals into SQL text. Every generated statement quotes
 * identifiers with {@link #quote(String)} and, where a literal cannot be a {@code ?} parameter (DDL, for
 * example), literals with {@link #literal(String)}, so no user-supplied name can inject SQL.
 *
 * <pre>{@code
 * Identifiers.quote("order")        // "order"
 * Identifiers.quote("a\"b; drop")   // "a""b; drop"
 * Identifiers.literal("it's")       // 'it''s'
 * }</pre>
 *
 * Identifiers are always quoted, so they are case-sensitive and kept exactly as given. PostgreSQL silently
 * truncates identifiers longer than 63 bytes; mds refuses them instead, with the name in the message.
 */
public final class Identifiers {
    /** PostgreSQL's NAMEDATALEN - 1. */
    public static final int MAX_IDENTIFIER_BYTES = 63;

    private Identifiers() {
    }

    /**
     * The identifier in double quotes, embedded double quotes doubled.
     *
     * @throws IllegalArgumentException when the name is empty, contains a NUL character or is longer than
     *     63 bytes in UTF-8
     */
    public static String quote(String identifier) {
        check(identifier);
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    /** {@code "schema"."name"}. */
    public static String quote(String schema, String name) {
        return quote(schema) + '.' + quote(name);
    }

    /** The identifiers quoted and joined with {@code ", "}. */
    public static String quoteAll(Collection<String> identifiers) {
        StringJoiner joined = new StringJoiner(", ");
        for (String identifier : identifiers) {
            joined.add(quote(identifier));
        }
        return joined.toString();
    }

    /** Each identifier quoted, prefixed with {@code alias.}, joined with {@code ", "}. */
    public static String quoteAll(String alias, Collection<String> identifiers) {
        StringJoiner joined = new StringJoiner(", ");
        for (String identifier : identifiers) {
            joined.add(alias + '.' + quote(identifier));
        }
        return joined.toString();
    }

    /**
     * A string literal: {@code 'it''s'}. A value containing a backslash is written as an escape string
     * ({@code E'a\\b'}) so it means the same whatever {@code standard_conforming_strings} is.
     *
     * @throws IllegalArgumentException when the value contains a NUL character, which PostgreSQL text cannot hold
     */
    public static String literal(String value) {
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a PostgreSQL string cannot contain a NUL character: " + visible(value));
        }
        if (unpairedSurrogate(value)) {
            throw new IllegalArgumentException("string " + visible(value) + " holds half of a UTF-16 surrogate pair,"
                    + " which UTF-8 cannot encode (it would arrive as '?')");
        }
        String quoted = value.replace("'", "''");
        if (quoted.indexOf('\\') >= 0) {
            return "E'" + quoted.replace("\\", "\\\\") + '\'';
        }
        return '\'' + quoted + '\'';
    }

    /**
     * The longest start of {@code s} whose UTF-8 form is at most {@code maxBytes} long, cut between characters (never
     * inside a surrogate pair or a multi-byte character): for a name that must leave room for a suffix within
     * {@link #MAX_IDENTIFIER_BYTES}.
     *
     * <pre>{@code
     * Identifiers.cutToBytes("orders", 3)          // "ord"
     * Identifiers.cutToBytes("caf\u00e9s", 4)      // "caf" (the é takes two bytes)
     * }</pre>
     */
    public static String cutToBytes(String s, int maxBytes) {
        int used = 0;
        for (int i = 0, n = s.length(); i < n; ) {
            int cp = s.codePointAt(i);
            used += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (used > maxBytes) {
                return s.substring(0, i);
            }
            i += Character.charCount(cp);
        }
        return s;
    }

    /**
     * 8 hex digits of the SHA-256 of {@code s}'s UTF-8 form: the tag that keeps a name cut with {@link #cutToBytes}
     * distinct from others cut to the same start (the same text for the same {@code s}, on every machine).
     */
    public static String shortHash(String s) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * Checks that a name can be an identifier without change.
     *
     * @throws IllegalArgumentException naming the identifier and what is wrong
     */
    public static String check(String identifier) {
        if (identifier == null || identifier.isEmpty()) {
            throw new IllegalArgumentException("an identifier cannot be empty");
        }
        if (identifier.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("identifier " + visible(identifier) + " contains a NUL character");
        }
        if (unpairedSurrogate(identifier)) {
            throw new IllegalArgumentException("identifier " + visible(identifier) + " holds half of a UTF-16"
                    + " surrogate pair, which UTF-8 cannot encode (it would arrive as '?', naming another object)");
        }
        int bytes = identifier.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_IDENTIFIER_BYTES) {
            throw new IllegalArgumentException("identifier " + visible(identifier) + " is " + bytes
                    + " bytes long; PostgreSQL would silently truncate it to " + MAX_IDENTIFIER_BYTES
                    + " bytes, so mds refuses it (choose a shorter name)");
        }
        return identifier;
    }

    /**
     * Where to cut {@code s} to keep its first {@code at} characters: {@code at}, or one less where {@code at} falls
     * between the two halves of a surrogate pair (half of one is a character UTF-8 cannot encode).
     */
    static int cutBefore(String s, int at) {
        return Character.isHighSurrogate(s.charAt(at - 1)) && Character.isLowSurrogate(s.charAt(at)) ? at - 1 : at;
    }

    /** Whether {@code s} holds a high or low surrogate that is not part of a pair. */
    static boolean unpairedSurrogate(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    private static String visible(String s) {
        String shown = s.replace("\0", "\\0");
        if (shown.length() > 80) {
            shown = shown.substring(0, cutBefore(shown, 80)) + "…";
        }
        return '\'' + shown + '\'';
    }
}
