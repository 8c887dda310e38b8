package dev.mds.transform;

/**
 * What happened to one model in a run.
 *
 * <pre>{@code
 * results.model("gold.daily_volume").status() == ModelStatus.SUCCESS
 * }</pre>
 */
public enum ModelStatus {
    /** Built and committed. */
    SUCCESS,
    /** Its SQL or a check failed; its previous version is left as it was. */
    ERROR,
    /** Not run because a model it refers to (directly or not) did not succeed. */
    SKIPPED
}
