package dev.mds.quality;

/**
 * What {@link QualitySuite#dbtTests} does with a dbt test it cannot run as dbt would (a test kind it does not know, an
 * argument or config it cannot honour, a source {@code freshness:}).
 */
public enum UnsupportedDbtTest {
    /** Refuse the whole file, naming it, the line, the model or source, the column and the test (the default). */
    FAIL,
    /** Leave the test out and log a WARN saying so (file, line, model, column, test and why). */
    SKIP_WITH_WARNING
}
