package io.copyjob.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import org.junit.Test;

public class PartSizesTest {
  private static final int MIB = 1 << 20;

  @Test
  public void aFileThatFitsTheStoresPartsKeepsThem() throws IOException {
    assertThat(PartSizes.forFile(0, 16 * MIB, 10_000, "f")).isEqualTo(16 * MIB);
    assertThat(PartSizes.forFile(100L * MIB, 8 * MIB, 50_000, "f")).isEqualTo(8 * MIB);
    // 156.25 GiB in 10,000 parts of 16 MiB: the last size that fits.
    assertThat(PartSizes.forFile(10_000L * 16 * MIB, 16 * MIB, 10_000, "f")).isEqualTo(16 * MIB);
  }

  @Test
  public void aLargerFileTakesTheFewestWholeMibThatFitTheStoresCount() throws IOException {
    int part = PartSizes.forFile(10_000L * 16 * MIB + 1, 16 * MIB, 10_000, "f");
    assertThat(part).isEqualTo(17 * MIB);
    // 1 TiB to S3: 105 MiB parts, 9,987 of them.
    long tib = 1L << 40;
    part = PartSizes.forFile(tib, 16 * MIB, 10_000, "f");
    assertThat(part).isEqualTo(105 * MIB);
    assertThat((tib + part - 1) / part).isLessThanOrEqualTo(10_000);
    // 1 TiB to Azure: 21 MiB blocks.
    assertThat(PartSizes.forFile(tib, 8 * MIB, 50_000, "f")).isEqualTo(21 * MIB);
  }

  @Test
  public void aFileBeyondTheLargestPartsIsRefusedByName() {
    assertThatThrownBy(
            () -> PartSizes.forFile(100L << 40, 8 * MIB, 50_000, "azfs://acct/c/huge.bin"))
        .isInstanceOf(IOException.class)
        .hasMessage(
            "azfs://acct/c/huge.bin: 109951162777600 bytes need more than 50000 parts of 2000"
                + " MiB, the largest a worker holds");
  }
}
