package dev.mds.connector.postgres.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mds.core.Unchanged;
import io.debezium.config.Configuration;
import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.debezium.connector.postgresql.UnchangedToastedPlaceholder;
import io.debezium.connector.postgresql.UnchangedToastedReplicationMessageColumn;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.junit.jupiter.api.Test;

class RecordMapperTest {
    /** Every value Debezium's own placeholder class builds from the configured placeholder, one per column kind. */
    @Test
    void everyShapeOfDebeziumsUnchangedToastPlaceholderMapsToUnchanged() throws Exception {
        UnchangedToastedPlaceholder debezium = new UnchangedToastedPlaceholder(new PostgresConnectorConfig(
                Configuration.create().with("topic.prefix", "t")
                        .with("unavailable.value.placeholder", RecordMapper.PLACEHOLDER).build()));
        List<Object> shapes = new ArrayList<>();
        for (java.lang.reflect.Field f : UnchangedToastedReplicationMessageColumn.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getName().startsWith("UNCHANGED_")) {
                shapes.add(debezium.getValue(f.get(null)).orElseThrow());
            }
        }
        assertThat(shapes).as("the placeholder kinds of Debezium 3.2").hasSize(7);
        Map<?, ?> hstore = shapes.stream().filter(Map.class::isInstance).map(Map.class::cast).findFirst().orElseThrow();
        shapes.add(new ObjectMapper().writeValueAsString(hstore));   // hstore.handling.mode=json
        shapes.add(debezium.getToastPlaceholderBinary());
        Function<Object, Object> converter = RecordMapper.converter(SchemaBuilder.array(
                SchemaBuilder.int32().optional().build()).optional().build());
        for (Object shape : shapes) {
            assertThat(converter.apply(shape)).as("placeholder shape %s", shape).isSameAs(Unchanged.VALUE);
        }
    }

    @Test
    void ordinaryArraysAreNotTakenForThePlaceholder() {
        Function<Object, Object> ints = RecordMapper.converter(SchemaBuilder.array(
                SchemaBuilder.int32().optional().build()).optional().build());
        assertThat(ints.apply(List.of(95, 95, 109))).isEqualTo(List.of(95, 95, 109));
        assertThat(ints.apply(List.of(7))).isEqualTo(List.of(7));
        Function<Object, Object> words = RecordMapper.converter(SchemaBuilder.array(
                SchemaBuilder.string().optional().build()).optional().build());
        assertThat(words.apply(List.of("__mds"))).isEqualTo(List.of("__mds"));
    }
}
