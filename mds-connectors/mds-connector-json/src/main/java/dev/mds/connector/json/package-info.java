/**
 * JSON files as record batches: start with {@link dev.mds.connector.json.JsonSource#builder()}.
 */
package dev.mds.connector.json;
