/**
 * Loading batches into the warehouse with mds-load; start with {@link dev.mds.examples.load.LoadTwiceExample}.
 */
package dev.mds.examples.load;
