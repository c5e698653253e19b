package io.copyjob.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.copyjob.control.ProgressPoint;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.Test;

public class LiveChartTest {
  private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");

  private static ProgressPoint point(String worker, long seconds, long files, long bytes) {
    return new ProgressPoint(worker, T0.plusSeconds(seconds), files, bytes, 0);
  }

  @Test
  public void workersWritingAtTheSameTimeAddTheirRatesInOneBarPerInterval() {
    List<ProgressPoint> points =
        List.of(
            point("w1", 0, 0, 0),
            point("w2", 1, 0, 0),
            point("w1", 2, 2, 2_000),
            point("w2", 3, 4, 6_000),
            point("w1", 4, 4, 6_000),
            point("w2", 5, 4, 6_000));

    List<LiveChart.Bar> bars = LiveChart.bars(points);

    assertThat(bars).hasSize(2);
    assertThat(bars.get(0).start()).isEqualTo(T0);
    assertThat(bars.get(0).length()).isEqualTo(Duration.ofMillis(3_000));
    // w1 from 0 to 2 s: 1 000 B/s; w2 from 1 to 3 s: 3 000 B/s.
    assertThat(bars.get(0).bytes()).isEqualTo(4_000.0);
    assertThat(bars.get(0).files()).isEqualTo(3.0);
    // w1 from 2 to 4 s: 2 000 B/s; w2 idle.
    assertThat(bars.get(1).bytes()).isEqualTo(2_000.0);
  }

  @Test
  public void noPointOrOnePointPerWorkerDrawsNoBarAndAChartSaysSo() {
    assertThat(LiveChart.bars(List.of())).isEmpty();
    assertThat(LiveChart.bars(List.of(point("w1", 0, 1, 1), point("w2", 1, 1, 1)))).isEmpty();
    assertThat(LiveChart.chart(List.of(), false))
        .contains("Drawn once a worker has written two progress batches.")
        .doesNotContain("<svg");
  }

  @Test
  public void aLongRunIsDrawnInAtMostSixtyBarsWithItsRowsForTables() {
    List<ProgressPoint> points = new java.util.ArrayList<>();
    for (int i = 0; i <= 300; i++) {
      points.add(new ProgressPoint("w", T0.plusSeconds(2L * i), i, 0, 100L * i));
    }

    List<LiveChart.Bar> bars = LiveChart.bars(points);
    String chart = LiveChart.chart(points, true);

    assertThat(bars).hasSize(LiveChart.MAX_BARS);
    assertThat(bars).allSatisfy(b -> assertThat(b.rows()).isEqualTo(50.0));
    assertThat(chart.split("<rect ", -1)).hasSize(LiveChart.MAX_BARS + 1);
    assertThat(chart).contains(">50 rows/s</text>").contains("Rows written per second");
  }
}
