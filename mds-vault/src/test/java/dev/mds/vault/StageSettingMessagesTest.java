package dev.mds.vault;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** A stage's setters refuse what cannot be a stage, naming the stage as every other refusal of a stage does. */
class StageSettingMessagesTest {
    /**
     * A hash without columns, a hash named twice and a derived column without an expression are refused naming the
     * stage and the column. Before, the message named the column only ('hash column 'h' is defined twice'), so in a
     * program building many stages the user could not tell which.
     */
    @Test
    void settingsThatCannotBeAStageAreRefusedNamingTheStageAndTheColumn() {
        Stage stage = Stage.of("raw.users").into("stg.users").loadDate("ld").recordSource("crm").hashKey("user_hk", "email");
        assertThatThrownBy(() -> stage.hashKey("other_hk")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("stage stg.users (from raw.users): hash column 'other_hk' needs at least one column");
        assertThatThrownBy(() -> stage.hashDiff("user_hk", "name")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("stage stg.users (from raw.users): hash column 'user_hk' is defined twice");
        assertThatThrownBy(() -> stage.derived("full_name", " ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("stage stg.users (from raw.users): derived column 'full_name' has an empty expression");
    }
}
