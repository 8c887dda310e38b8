/**
 * Change data capture of the SaaS product database into a warehouse; run {@link dev.mds.examples.cdc.CdcExample}.
 */
package dev.mds.examples.cdc;
