package io.copyjob.tabular;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.copyjob.spec.ColumnType;
import io.copyjob.spec.ColumnType.Kind;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.junit.Test;

/** Text into each column type: exact values, and a reason for every text that means none. */
public class ValueConverterTest {
  private static Object convert(ColumnType type, String text) throws Incompatible {
    return new ValueConverter(type, null, "UTC").convert(text);
  }

  private static Object convert(Kind kind, String text) throws Incompatible {
    return convert(ColumnType.of(kind), text);
  }

  private static void refused(ColumnType type, String format, String text, String reason) {
    assertThatThrownBy(() -> new ValueConverter(type, format, "UTC").convert(text))
        .isInstanceOf(Incompatible.class)
        .hasMessage(reason);
  }

  private static Object typed(ColumnType type, Object value) throws Incompatible {
    return new ValueConverter(type, null, "Europe/Paris").convert(value);
  }

  private static void typedRefused(ColumnType type, Object value, String reason) {
    assertThatThrownBy(() -> typed(type, value))
        .isInstanceOf(Incompatible.class)
        .hasMessage(reason);
  }

  @Test
  public void typedValuesOfJsonAndParquetGoIntoTheirKindExactly() throws Exception {
    ColumnType money = new ColumnType(Kind.DECIMAL, 0, 6, 2);
    assertThat(typed(ColumnType.of(Kind.INTEGER), 42L)).isEqualTo(42);
    assertThat(typed(ColumnType.of(Kind.BIGINT), new BigDecimal("7.000"))).isEqualTo(7L);
    assertThat(typed(money, new BigDecimal("12.5"))).isEqualTo(new BigDecimal("12.50"));
    assertThat(typed(money, 0.1)).isEqualTo(new BigDecimal("0.10"));
    assertThat(typed(ColumnType.of(Kind.DOUBLE), 3)).isEqualTo(3.0);
    assertThat(typed(ColumnType.of(Kind.BOOLEAN), true)).isEqualTo(true);
    assertThat(typed(ColumnType.of(Kind.TEXT), new BigDecimal("1E+3"))).isEqualTo("1000");
    assertThat(typed(ColumnType.of(Kind.DATE), LocalDate.of(2024, 2, 29)))
        .isEqualTo(LocalDate.of(2024, 2, 29));
    java.time.Instant instant = java.time.Instant.parse("2024-01-02T03:04:05.123456Z");
    assertThat(typed(ColumnType.of(Kind.TIMESTAMPTZ), instant))
        .isEqualTo(OffsetDateTime.parse("2024-01-02T03:04:05.123456Z"));
    // An instant into a timestamp without zone is the table's local time.
    assertThat(typed(ColumnType.of(Kind.TIMESTAMP), instant))
        .isEqualTo(LocalDateTime.parse("2024-01-02T04:04:05.123456"));
    assertThat(typed(ColumnType.of(Kind.TIMESTAMPTZ), LocalDateTime.parse("2024-07-01T12:00")))
        .isEqualTo(OffsetDateTime.parse("2024-07-01T12:00+02:00"));
    // Text from a typed source is read as CSV text is.
    assertThat(typed(ColumnType.of(Kind.INTEGER), "12")).isEqualTo(12);

    typedRefused(ColumnType.of(Kind.INTEGER), 1.5, "is not a whole number");
    typedRefused(
        ColumnType.of(Kind.SMALLINT), 70000L, "is out of the range of smallint (-32768 to 32767)");
    typedRefused(
        money, new BigDecimal("1.005"), "has more than 2 digits after the point (decimal(6,2))");
    typedRefused(ColumnType.of(Kind.DATE), 20240101L, "is a number, not a date");
    typedRefused(ColumnType.of(Kind.BOOLEAN), 1L, "is a number, not a boolean");
    typedRefused(ColumnType.of(Kind.DECIMAL), Double.NaN, "is not a finite number");
    typedRefused(
        ColumnType.of(Kind.TEXT),
        new byte[] {1, 2},
        "is binary data, which copyjob cannot convert into text");
  }

  @Test
  public void numbersAreExactOrRefused() throws Exception {
    assertThat(convert(Kind.INTEGER, " 42 ")).isEqualTo(42);
    assertThat(convert(Kind.BIGINT, "-9223372036854775808")).isEqualTo(Long.MIN_VALUE);
    assertThat(convert(Kind.DOUBLE, "1e3")).isEqualTo(1000.0);
    assertThat(convert(Kind.DOUBLE, "NaN")).isEqualTo(Double.NaN);
    ColumnType money = new ColumnType(Kind.DECIMAL, 0, 6, 2);
    assertThat(convert(money, "1.50")).isEqualTo(new BigDecimal("1.50"));
    assertThat(convert(money, "1.500")).isEqualTo(new BigDecimal("1.50"));
    assertThat(convert(money, "-9999.99")).isEqualTo(new BigDecimal("-9999.99"));
    assertThat(convert(Kind.DECIMAL, "123456789.123456789"))
        .isEqualTo(new BigDecimal("123456789.123456789"));

    refused(ColumnType.of(Kind.INTEGER), null, "1.0", "is not a whole number");
    refused(
        ColumnType.of(Kind.SMALLINT),
        null,
        "40000",
        "is out of the range of smallint (-32768 to 32767)");
    refused(money, null, "1.555", "has more than 2 digits after the point (decimal(6,2))");
    refused(money, null, "10000", "has more than 4 digits before the point (decimal(6,2))");
    refused(ColumnType.of(Kind.DOUBLE), null, "1.5d", "is not a number");
    refused(ColumnType.of(Kind.DECIMAL), null, "12x", "is not a decimal number");
  }

  @Test
  public void booleansUuidsAndTextAreStrict() throws Exception {
    assertThat(convert(Kind.BOOLEAN, "Yes")).isEqualTo(true);
    assertThat(convert(Kind.BOOLEAN, "0")).isEqualTo(false);
    assertThat(convert(Kind.UUID, "0F8FAD5B-D9CB-469F-A165-70867728950E"))
        .isEqualTo(UUID.fromString("0f8fad5b-d9cb-469f-a165-70867728950e"));
    assertThat(convert(new ColumnType(Kind.TEXT, 3, 0, 0), "ééé")).isEqualTo("ééé");
    assertThat(convert(Kind.TEXT, " kept as it is ")).isEqualTo(" kept as it is ");

    refused(
        ColumnType.of(Kind.BOOLEAN), null, "maybe", "is not a boolean (true/false, 1/0, yes/no)");
    refused(ColumnType.of(Kind.UUID), null, "1-1-1-1-1", "is not a UUID");
    refused(
        new ColumnType(Kind.TEXT, 3, 0, 0),
        null,
        "four",
        "is 4 characters, more than the 3 of varchar(3)");
  }

  @Test
  public void datesAndTimestampsTakeIsoOrTheirPatternStrictly() throws Exception {
    assertThat(convert(Kind.DATE, "2024-02-29")).isEqualTo(LocalDate.of(2024, 2, 29));
    assertThat(convert(Kind.TIMESTAMP, "2024-01-02 03:04:05.123456789"))
        .isEqualTo(LocalDateTime.of(2024, 1, 2, 3, 4, 5, 123456789));
    assertThat(convert(Kind.TIMESTAMPTZ, "2024-01-02T03:04:05+01:00"))
        .isEqualTo(OffsetDateTime.parse("2024-01-02T03:04:05+01:00"));
    assertThat(
            new ValueConverter(ColumnType.of(Kind.TIMESTAMPTZ), null, "Europe/Paris")
                .convert("2024-07-01 12:00:00"))
        .isEqualTo(OffsetDateTime.parse("2024-07-01T12:00:00+02:00"));
    assertThat(
            new ValueConverter(ColumnType.of(Kind.DATE), "dd/MM/yyyy", "UTC").convert("31/12/1999"))
        .isEqualTo(LocalDate.of(1999, 12, 31));
    assertThat(
            new ValueConverter(ColumnType.of(Kind.TIMESTAMPTZ), "yyyyMMddHHmmss", "Asia/Tokyo")
                .convert("20240101090000"))
        .isEqualTo(OffsetDateTime.parse("2024-01-01T09:00:00+09:00"));

    refused(ColumnType.of(Kind.DATE), null, "2023-02-29", "is not a date (yyyy-MM-dd)");
    refused(ColumnType.of(Kind.DATE), "dd/MM/yyyy", "30/02/2024", "is not a date (dd/MM/yyyy)");
    refused(
        ColumnType.of(Kind.TIMESTAMP),
        null,
        "2024-01-02",
        "is not a timestamp (yyyy-MM-dd HH:mm:ss[.fraction])");
  }
}
