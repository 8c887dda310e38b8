package dev.mds.transform;

import dev.mds.core.TableName;
import dev.mds.transform.internal.ProjectModels;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What a {@link TransformProject#run()} did: one {@link ModelResult} per model, in dependency order.
 *
 * <pre>{@code
 * RunResults results = project.run();
 * results.model("gold.daily_volume").rows();
 * results.assertSucceeded();   // throws with a summary when a model failed or was skipped
 * }</pre>
 *
 * @param models the models in the order they were scheduled (a model comes after every model it refers to)
 * @param duration the wall time of the whole run
 */
public record RunResults(List<ModelResult> models, Duration duration) {

    /** Copies the list. */
    public RunResults {
        models = List.copyOf(models);
        Objects.requireNonNull(duration, "duration");
    }

    /**
     * The result of the model named {@code name} ({@code schema.model}, found as {@code ref()} finds it).
     *
     * @throws IllegalArgumentException when the run had no such model
     */
    public ModelResult model(String name) {
        for (ModelResult m : models) {
            if (m.name().equals(name)) {
                return m;
            }
        }
        TableName parsed;
        try {
            parsed = ProjectModels.modelName(name);
        } catch (IllegalArgumentException notAName) {
            parsed = null;
        }
        Optional<TableName> table = parsed == null ? Optional.empty()
                : Select.find(parsed, models.stream().map(ModelResult::table).toList());
        for (ModelResult m : models) {
            if (table.isPresent() && m.table().equals(table.get())) {
                return m;
            }
        }
        throw new IllegalArgumentException("no model " + name + " in this run; models: "
                + models.stream().map(ModelResult::name).collect(Collectors.joining(", ")));
    }

    /** The models with this status, in run order. */
    public List<ModelResult> withStatus(ModelStatus status) {
        return models.stream().filter(m -> m.status() == status).toList();
    }

    /** Whether every model succeeded. */
    public boolean succeeded() {
        return models.stream().allMatch(m -> m.status() == ModelStatus.SUCCESS);
    }

    /**
     * Returns this when every model succeeded.
     *
     * @throws TransformException listing the failed and skipped models with their reasons
     */
    public RunResults assertSucceeded() {
        if (!succeeded()) {
            throw new TransformException(withStatus(ModelStatus.ERROR).size() + " model(s) failed, "
                    + withStatus(ModelStatus.SKIPPED).size() + " skipped:\n" + this);
        }
        return this;
    }

    /** One line per model. */
    @Override
    public String toString() {
        return models.stream().map(m -> "  " + m).collect(Collectors.joining("\n"));
    }
}
