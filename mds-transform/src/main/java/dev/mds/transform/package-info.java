/**
 * SQL models run in dependency order; the entry point is {@code TransformProject}.
 */
package dev.mds.transform;
