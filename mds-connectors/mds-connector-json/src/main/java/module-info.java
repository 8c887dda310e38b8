/**
 * mds-connector-json: JSON files (an array of objects, or one object per line) as typed record batches; start with
 * {@code dev.mds.connector.json.JsonSource}. {@code dev.mds.connector.json.internal} is not exported.
 */
module dev.mds.connector.json {
    requires transitive dev.mds.core;
    requires com.fasterxml.jackson.databind;
    requires org.slf4j;

    exports dev.mds.connector.json;
}
