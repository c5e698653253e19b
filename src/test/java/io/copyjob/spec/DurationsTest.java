package io.copyjob.spec;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.Test;

public class DurationsTest {
  @Test
  public void readsShortAndIsoForms() {
    assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Durations.parse("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(Durations.parse("1.5m")).isEqualTo(Duration.ofSeconds(90));
    assertThat(Durations.parse("2h")).isEqualTo(Duration.ofHours(2));
    assertThat(Durations.parse("1d")).isEqualTo(Duration.ofDays(1));
    assertThat(Durations.parse("PT5M")).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  public void refusesWhatIsNoDuration() {
    assertThat(Durations.parse("30")).isNull();
    assertThat(Durations.parse("5 minutes")).isNull();
    assertThat(Durations.parse("Pxyz")).isNull();
  }

  @Test
  public void formatsShortly() {
    assertThat(Durations.format(Duration.ZERO)).isEqualTo("0s");
    assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
    assertThat(Durations.format(Duration.ofMinutes(5))).isEqualTo("5m");
    assertThat(Durations.format(Duration.ofHours(24))).isEqualTo("24h");
  }
}
