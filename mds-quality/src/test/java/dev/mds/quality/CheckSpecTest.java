package dev.mds.quality;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mds.core.TableName;
import dev.mds.quality.internal.CheckSpec;
import org.junit.jupiter.api.Test;

/** What a declared check keeps for the SQL to read, without a database. */
class CheckSpecTest {

    @Test
    void mutuallyExclusiveRangesKeepsItsGapsAndZeroLengthOptionTypedNotAsText() {
        TableChecks t = new TableChecks(TableName.parse("s.t"));
        t.mutuallyExclusiveRanges("lo", "hi", Gaps.REQUIRED, true, "k")
                .mutuallyExclusiveRanges("lo", "hi").id("defaults");
        CheckSpec given = t.spec().checks().get(0);
        assertThat(given.values()).containsExactly(Gaps.REQUIRED, true);
        assertThat(given.gaps()).isEqualTo(Gaps.REQUIRED);
        assertThat(given.zeroLengthRangeAllowed()).isTrue();
        CheckSpec defaults = t.spec().checks().get(1);
        assertThat(defaults.gaps()).isEqualTo(Gaps.ALLOWED);
        assertThat(defaults.zeroLengthRangeAllowed()).isFalse();
    }
}
