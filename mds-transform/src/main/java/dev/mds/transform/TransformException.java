package dev.mds.transform;

import dev.mds.core.MdsException;

/**
 * A transform project that cannot run (a cycle among its models) or a run that did not succeed
 * ({@link RunResults#assertSucceeded()}). Errors in a model's text are {@link dev.mds.core.BadInputException}s
 * naming the file and line.
 *
 * <pre>{@code
 * try { project.run().assertSucceeded(); } catch (TransformException e) { System.err.println(e.getMessage()); }
 * }</pre>
 */
public class TransformException extends MdsException {
    private static final long serialVersionUID = 1L;

    /** An exception with this message. */
    public TransformException(String message) {
        super(message);
    }
}
