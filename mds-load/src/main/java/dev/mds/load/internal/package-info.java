/**
 * {@link dev.mds.load.internal.LoadEngine} is the entry point of the implementation behind
 * {@link dev.mds.load.MergeLoader}: COPY encoding, staging, generated SQL and CDC event folding. Not API.
 */
package dev.mds.load.internal;
