/**
 * Implementation details of mds-core ({@link dev.mds.core.internal.FlatJson}); not API, may change at any time.
 */
package dev.mds.core.internal;
