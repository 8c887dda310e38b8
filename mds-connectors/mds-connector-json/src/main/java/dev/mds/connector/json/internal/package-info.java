/** The JSON source's type inference and value conversion; not exported. */
package dev.mds.connector.json.internal;
