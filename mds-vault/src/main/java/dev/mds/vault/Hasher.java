package dev.mds.vault;

import dev.mds.core.Field;
import dev.mds.core.FieldType;
import dev.mds.core.Record;
import dev.mds.core.Schema;
import dev.mds.vault.internal.Canonical;
import dev.mds.vault.internal.HashSql;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Computes hash keys and hashdiffs in Java, with the same bytes as the SQL that {@link Vault} generates, for
 * hashing records on their way in (streams, CDC) without a round trip. Immutable and thread-safe.
 *
 * <pre>{@code
 * Hasher users = Hasher.builder(Schema.of(Field.of("email", FieldType.STRING))).build();   // CANONICAL, MD5
 * Optional<byte[]> userHk = users.hashKey("ann@example.com");
 * Hasher diff = Hasher.builder(payloadSchema).standard(HashStandard.AUTOMATEDV).build();
 * byte[] hashdiff = diff.hashDiff(record);
 * }</pre>
 *
 * Under {@link HashStandard#CANONICAL} every {@link FieldType} kind can be hashed except JSON (jsonb's
 * normalisation is not reproduced in Java: cast JSON to text in the stage if it must be hashed in Java). Under
 * {@link HashStandard#AUTOMATEDV} only types whose PostgreSQL text form is independent of session settings
 * (string, int, long, decimal, boolean, uuid) can be hashed in Java; the others are refused at {@code build()}.
 *
 * <p>Give values as pgjdbc reads them: PostgreSQL's {@code 'infinity'} and {@code '-infinity'} dates and timestamps
 * are {@code MAX} and {@code MIN} of {@code LocalDate}, {@code LocalDateTime} or {@code OffsetDateTime} (also
 * {@code Instant}), and hash as the SQL hashes the infinities; a {@code numeric}'s {@code NaN}, {@code Infinity} and
 * {@code -Infinity} are the {@link Double} NaN and infinities (a {@code BigDecimal} cannot hold them). A {@code char(n)} column is hashed in SQL without
 * its trailing blanks (as PostgreSQL compares it), but pgjdbc reads it padded to {@code n}: name such columns in
 * {@link Builder#charColumns} (a {@link FieldType#STRING} cannot tell), or the Java hash differs.
 *
 * <p>Limit: under AUTOMATEDV in a database whose {@code upper()} is Unicode-aware, Java upper-cases with the running
 * JDK's Unicode tables (Java 17: Unicode 13) and PostgreSQL with its own (libc, ICU or its builtin provider, often
 * newer): a letter whose case mapping came with a later Unicode version is left as it is in Java but upper-cased in
 * SQL, so its hash differs. Unicode 14 added 40 such code points, e.g. U+2C5F, U+A7C1 and the Vithkuqi letters
 * U+10597&ndash;U+105BC. CANONICAL does no case folding and has no such limit.
 */
public final class Hasher {
    private final HashStandard standard;
    private final HashAlgorithm algorithm;
    private final boolean emptyStringAsNull;
    private final boolean asciiUpperCase;
    private final Locale fullCaseMapping;
    private final List<Field> fields;
    private final boolean[] charColumns;
    private final byte[] codes;
    private final int[] diffOrder;
    private final MessageDigest prototype;
    private final ThreadLocal<Work> work;

    private Hasher(Builder b) {
        this.standard = b.standard;
        this.algorithm = b.algorithm;
        this.emptyStringAsNull = b.emptyStringAsNull;
        this.asciiUpperCase = b.asciiUpperCase;
        this.fullCaseMapping = b.fullCaseMapping;
        this.fields = b.schema.fields();
        this.charColumns = b.charColumns.isEmpty() ? null : new boolean[fields.size()];
        for (int i = 0; charColumns != null && i < fields.size(); i++) {
            charColumns[i] = b.charColumns.contains(fields.get(i).name());
        }
        this.codes = Canonical.codes(fields, charColumns);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < fields.size(); i++) {
            order.add(i);
        }
        if (standard == HashStandard.AUTOMATEDV) {
            order.sort(Comparator.comparing(i -> fields.get(i).name(), HashSql.AUTOMATEDV_COLUMN_ORDER));
        }
        this.diffOrder = order.stream().mapToInt(Integer::intValue).toArray();
        try {
            this.prototype = MessageDigest.getInstance(algorithm.javaName());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no " + algorithm.javaName(), e);
        }
        this.work = ThreadLocal.withInitial(this::newWork);
    }

    /** A builder for a hasher of values in the order of {@code parts}. */
    public static Builder builder(Schema parts) {
        return new Builder(parts);
    }

    /**
     * The hash key of these values (in schema order), or empty when the key is NULL: every part NULL (or
     * empty, where empty strings count as NULL).
     *
     * @throws IllegalArgumentException when the number of values or a value's Java type does not fit the schema
     */
    public Optional<byte[]> hashKey(Object... values) {
        check(values.length);
        Work w = work.get();
        boolean present = standard == HashStandard.AUTOMATEDV
                ? Canonical.automateDv(w.buffer, fields, values, null, true, asciiUpperCase, fullCaseMapping)
                : Canonical.canonical(w.buffer, fields, codes, values, charColumns, emptyStringAsNull, true);
        return present ? Optional.of(digest(w)) : Optional.empty();
    }

    /** As {@link #hashKey(Object...)} for the values of a record (same order as the schema). */
    public Optional<byte[]> hashKey(Record record) {
        return hashKey(record.values().toArray());
    }

    /**
     * The hashdiff of these values (in schema order). An all-NULL hashdiff is hashed as is, never NULL.
     *
     * @throws IllegalArgumentException when the number of values or a value's Java type does not fit the schema
     */
    public byte[] hashDiff(Object... values) {
        check(values.length);
        Work w = work.get();
        if (standard == HashStandard.AUTOMATEDV) {
            Canonical.automateDv(w.buffer, fields, values, diffOrder, false, asciiUpperCase, fullCaseMapping);
        } else {
            Canonical.canonical(w.buffer, fields, codes, values, charColumns, emptyStringAsNull, false);
        }
        return digest(w);
    }

    /** As {@link #hashDiff(Object...)} for the values of a record. */
    public byte[] hashDiff(Record record) {
        return hashDiff(record.values().toArray());
    }

    /** The ghost key: all zero bytes of the algorithm's width. */
    public byte[] ghostKey() {
        return new byte[algorithm.bytes()];
    }

    /** The hash standard this hasher follows. */
    public HashStandard standard() {
        return standard;
    }

    /** The hash algorithm this hasher uses. */
    public HashAlgorithm algorithm() {
        return algorithm;
    }

    private byte[] digest(Work w) {
        if (standard == HashStandard.AUTOMATEDV && algorithm == HashAlgorithm.SHA256) {
            byte[] b = w.buffer.bytes();
            for (int i = 0; i < w.buffer.length(); i++) {
                if (b[i] == '\\') {
                    throw new IllegalArgumentException("AUTOMATEDV with SHA256 casts the text to bytea, which reads"
                            + " backslashes as escapes; a value with a backslash cannot be hashed the same way in Java"
                            + " (use HashStandard.CANONICAL)");
                }
            }
        }
        return w.digest();
    }

    private void check(int n) {
        if (n != fields.size()) {
            throw new IllegalArgumentException("the hasher is for " + fields.size() + " values " + names() + ", got " + n);
        }
    }

    private List<String> names() {
        List<String> names = new ArrayList<>();
        for (Field f : fields) {
            names.add(f.name());
        }
        return names;
    }

    private Work newWork() {
        try {
            return new Work((MessageDigest) prototype.clone());
        } catch (CloneNotSupportedException e) {
            try {
                return new Work(MessageDigest.getInstance(algorithm.javaName()));
            } catch (NoSuchAlgorithmException impossible) {
                throw new IllegalStateException(impossible);
            }
        }
    }

    private static final class Work {
        final MessageDigest md;
        final Canonical.Buffer buffer = new Canonical.Buffer();

        Work(MessageDigest md) {
            this.md = md;
        }

        byte[] digest() {
            md.update(buffer.bytes(), 0, buffer.length());
            return md.digest();
        }
    }

    /**
     * Settings of a {@link Hasher}. Defaults: {@link HashStandard#CANONICAL}, {@link HashAlgorithm#MD5}, empty
     * strings are values (not NULL) under CANONICAL.
     */
    public static final class Builder {
        private final Schema schema;
        private HashStandard standard = HashStandard.CANONICAL;
        private HashAlgorithm algorithm = HashAlgorithm.MD5;
        private boolean emptyStringAsNull;
        private boolean asciiUpperCase;
        private Locale fullCaseMapping;
        private Set<String> charColumns = Set.of();

        private Builder(Schema schema) {
            this.schema = Objects.requireNonNull(schema, "schema");
            if (schema.size() == 0) {
                throw new IllegalArgumentException("a hasher needs at least one column");
            }
        }

        /** The hash standard (how values are cast, trimmed, upper-cased and joined); by default the vault's. */
        public Builder standard(HashStandard standard) {
            this.standard = Objects.requireNonNull(standard, "standard");
            return this;
        }

        /** The hash algorithm; by default the vault's. */
        public Builder algorithm(HashAlgorithm algorithm) {
            this.algorithm = Objects.requireNonNull(algorithm, "algorithm");
            return this;
        }

        /** Under CANONICAL: whether an empty string counts as NULL (AUTOMATEDV always treats it so). */
        public Builder emptyStringAsNull(boolean emptyStringAsNull) {
            this.emptyStringAsNull = emptyStringAsNull;
            return this;
        }

        /**
         * Under AUTOMATEDV: upper-case only ASCII letters, as PostgreSQL's {@code upper()} does in a database whose
         * {@code LC_CTYPE} is C or POSIX (false, the default: every letter by its simple Unicode mapping, one
         * character for one, as under a libc UTF-8 locale or the builtin {@code C.UTF-8}). Turns off
         * {@link #fullCaseMapping}. {@link Vault#hasher(Schema)} sets it from the database it works on.
         */
        public Builder asciiUpperCase(boolean asciiOnly) {
            this.asciiUpperCase = asciiOnly;
            this.fullCaseMapping = null;
            return this;
        }

        /**
         * Under AUTOMATEDV: upper-case by full Unicode case mapping in the locale's rules, as
         * {@link String#toUpperCase(Locale)} does ({@code ß} becomes {@code SS}, the ligature {@code ﬁ} {@code FI}, and
         * in Turkish {@code i} becomes {@code İ}), as PostgreSQL's {@code upper()} does in a database whose locale
         * provider is ICU (in its ICU locale; {@link Locale#ROOT} for {@code und}) or the builtin
         * {@code PG_UNICODE_FAST}. Turns off {@link #asciiUpperCase}. {@link Vault#hasher(Schema)} sets it from the
         * database it works on.
         */
        public Builder fullCaseMapping(Locale locale) {
            this.fullCaseMapping = Objects.requireNonNull(locale, "locale");
            this.asciiUpperCase = false;
            return this;
        }

        /**
         * The string (or string array) columns that are PostgreSQL {@code char(n)}: their trailing blanks are
         * dropped before hashing, as the vault's SQL hashes them (PostgreSQL compares {@code char(n)} without its
         * padding, and casts it to text without it), while pgjdbc returns the value padded to {@code n}. Replaces
         * earlier calls; none by default.
         *
         * @throws IllegalArgumentException naming a column that is not in the schema or not a string column
         */
        public Builder charColumns(String... columns) {
            Set<String> names = new LinkedHashSet<>();
            for (String c : columns) {
                Field f = schema.fields().stream().filter(x -> x.name().equals(c)).findFirst().orElseThrow(() ->
                        new IllegalArgumentException("charColumns: no column '" + c + "' among " + schema.names()));
                FieldType t = f.type().kind() == FieldType.Kind.ARRAY ? f.type().elementType() : f.type();
                if (t.kind() != FieldType.Kind.STRING) {
                    throw new IllegalArgumentException("charColumns: column '" + c + "' is " + f.type() + ", not a string");
                }
                names.add(c);
            }
            this.charColumns = Set.copyOf(names);
            return this;
        }

        /**
         * The hasher.
         *
         * @throws IllegalArgumentException naming a column whose type cannot be hashed in Java under the standard
         */
        public Hasher build() {
            for (Field f : schema.fields()) {
                Canonical.checkHashable(standard, f);
            }
            return new Hasher(this);
        }
    }
}
