package dev.mds.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.util.Optional;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExtensionContext;

/** A {@code @Nested} class asks for the server its enclosing class asks for, unless it says otherwise itself. */
class NestedSourceTest {
    @MdsPostgres(MdsPostgres.Source.TESTCONTAINERS)
    static class InAContainer {
        @Nested
        class Inner {
        }

        @Nested
        @MdsPostgres(MdsPostgres.Source.EMBEDDED)
        class InnerOnTheEmbeddedServer {
        }
    }

    @Test
    void aNestedClassOfATestcontainersClassIsEvaluatedAsATestcontainersClass() {
        PostgresExtension extension = new PostgresExtension();
        ConditionEvaluationResult outer = extension.evaluateExecutionCondition(contextOf(InAContainer.class));
        ConditionEvaluationResult inner = extension.evaluateExecutionCondition(contextOf(InAContainer.Inner.class));
        // without Docker both are skipped with the reason; with Docker both run, the nested one on the container too
        assertThat(inner.isDisabled()).isEqualTo(outer.isDisabled());
        assertThat(inner.getReason()).isEqualTo(outer.getReason());
        assertThat(extension.evaluateExecutionCondition(contextOf(InAContainer.InnerOnTheEmbeddedServer.class)).isDisabled())
                .as("its own annotation wins").isFalse();
    }

    private static ExtensionContext contextOf(Class<?> testClass) {
        return (ExtensionContext) Proxy.newProxyInstance(NestedSourceTest.class.getClassLoader(),
                new Class<?>[] {ExtensionContext.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getTestClass")) {
                        return Optional.of(testClass);
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
