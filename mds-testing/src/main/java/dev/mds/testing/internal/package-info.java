/** Implementation details of mds-testing; not API. */
package dev.mds.testing.internal;
