/**
 * mds-quality: data-quality checks pushed down as SQL, many checks in one scan; start with
 * {@code dev.mds.quality.QualitySuite}. {@code dev.mds.quality.internal} is not exported.
 */
module dev.mds.quality {
    requires transitive dev.mds.core;
    requires org.slf4j;
    requires com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.dataformat.yaml;

    exports dev.mds.quality;
}
