package io.copyjob.tabular;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.Test;

/**
 * The fast path for ISO-8601 text agrees with {@link DateTimeFormatter} wherever it answers: the
 * same value, or an error for both; and it leaves every shape it does not know to the formatter.
 */
public class IsoFastTest {
  private static final List<String> TEXTS =
      List.of(
          "2024-02-29",
          "2023-02-29",
          "2024-13-01",
          "2024-00-10",
          "0000-01-01",
          "9999-12-31",
          "2024-1-01",
          "2024/01/01",
          "20240101",
          "+12024-01-01",
          "2024-01-02T03:04:05",
          "2024-01-02 03:04:05",
          "2024-01-02T03:04:05.1",
          "2024-01-02T03:04:05.123456789",
          "2024-01-02T03:04:05.1234567891",
          "2024-01-02T03:04:05.",
          "2024-01-02T03:04",
          "2024-01-02T24:00:00",
          "2024-01-02T23:60:00",
          "2024-01-02T23:59:60",
          "2024-01-02X03:04:05",
          "2024-01-02T03:04:05Z",
          "2024-01-02T03:04:05.5Z",
          "2024-01-02T03:04:05+01:00",
          "2024-01-02 03:04:05.250-05:30",
          "2024-01-02T03:04:05-00:00",
          "2024-01-02T03:04:05+18:00",
          "2024-01-02T03:04:05+19:00",
          "2024-01-02T03:04:05+01:60",
          "2024-01-02T03:04:05+01",
          "2024-01-02T03:04:05+0100",
          "2024-01-02T03:04:05+01:00:30",
          "2024-01-02T03:04:05+01:00[Europe/Paris]",
          "2024-01-02T03:04:05 +01:00",
          "2024-01-02T03:04:5+01:00",
          "2024-01-02T03:04:05.+01:00",
          "٢٠٢٤-01-02");

  @Test
  public void datesAgreeWithTheFormatter() {
    agree(IsoFast::date, t -> LocalDate.parse(t));
  }

  @Test
  public void timestampsAgreeWithTheFormatter() {
    agree(t -> IsoFast.dateTime(t, t.length()), t -> LocalDateTime.parse(isoT(t)));
  }

  @Test
  public void timestampsWithAnOffsetAgreeWithTheFormatter() {
    agree(
        IsoFast::offsetDateTime,
        t -> OffsetDateTime.parse(isoT(t), DateTimeFormatter.ISO_DATE_TIME));
  }

  @Test
  public void randomTimestampsReadTheSameBothWays() {
    Random random = new Random(13);
    int answered = 0;
    for (int i = 0; i < 2_000; i++) {
      OffsetDateTime t =
          OffsetDateTime.of(
              LocalDateTime.of(
                  random.nextInt(3000) + 1,
                  random.nextInt(12) + 1,
                  random.nextInt(28) + 1,
                  random.nextInt(24),
                  random.nextInt(60),
                  random.nextInt(60),
                  random.nextInt(1_000_000_000) / (int) Math.pow(10, random.nextInt(9))),
              java.time.ZoneOffset.ofTotalSeconds((random.nextInt(37) - 18) * 1800));
      String withOffset = t.toString();
      OffsetDateTime fast = IsoFast.offsetDateTime(withOffset);
      if (fast != null) {
        answered++;
        assertThat(fast).as(withOffset).isEqualTo(OffsetDateTime.parse(withOffset)).isEqualTo(t);
      }
      String local = t.toLocalDateTime().toString().replace('T', ' ');
      LocalDateTime fastLocal = IsoFast.dateTime(local, local.length());
      if (fastLocal != null) {
        answered++;
        assertThat(fastLocal).as(local).isEqualTo(t.toLocalDateTime());
      }
    }
    assertThat(answered).isGreaterThan(3_900); // only whole minutes print without their seconds
  }

  /** Where the fast path answers, the formatter answers the same; an error is an error in both. */
  private static void agree(Function<String, Object> fast, Function<String, Object> general) {
    int answered = 0;
    for (String text : TEXTS) {
      Object expected;
      try {
        expected = general.apply(text);
      } catch (DateTimeException e) {
        expected = DateTimeException.class;
      }
      Object got;
      try {
        got = fast.apply(text);
      } catch (DateTimeException e) {
        got = DateTimeException.class;
      }
      if (got != null) {
        answered++;
        assertThat(got).as(text).isEqualTo(expected);
      }
    }
    assertThat(answered).isGreaterThan(3);
  }

  private static String isoT(String text) {
    return text.length() > 10 && text.charAt(10) == ' '
        ? text.substring(0, 10) + 'T' + text.substring(11)
        : text;
  }
}
