package io.copyjob.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.Test;

/** The pool's bounds: what is out never exceeds the budget, and kept arrays are reused. */
public class BlockBuffersTest {
  private static final int MIB = 1 << 20;

  @Test
  public void aTakeOverTheBudgetWaitsUntilAnArrayComesBack() throws Exception {
    BlockBuffers buffers = new BlockBuffers(3L * MIB);
    byte[] first = buffers.take(2 * MIB);
    CompletableFuture<byte[]> second = CompletableFuture.supplyAsync(() -> take(buffers, 2 * MIB));

    Thread.sleep(300);
    assertThat(second).isNotDone(); // 4 MiB out would be over the 3 MiB budget
    assertThat(buffers.out()).isEqualTo(2L * MIB);

    buffers.give(first);
    assertThat(second.get(30, TimeUnit.SECONDS) == first).as("the array given back").isTrue();
    assertThat(buffers.out()).isEqualTo(2L * MIB);
  }

  @Test
  public void keptArraysAreReusedAndMakeRoomForOtherSizes() throws Exception {
    BlockBuffers buffers = new BlockBuffers(4L * MIB);
    byte[] two = buffers.take(2 * MIB);
    buffers.give(two);
    assertThat(buffers.take(2 * MIB) == two).as("the kept array").isTrue();
    buffers.give(two);
    assertThat(buffers.held()).isEqualTo(2L * MIB);

    byte[] three = buffers.take(3 * MIB); // the kept 2 MiB array is dropped: 5 MiB would not fit
    assertThat(three).hasSize(3 * MIB);
    assertThat(buffers.held()).isEqualTo(3L * MIB);
    buffers.give(three);
    assertThat(buffers.out()).isZero();
  }

  @Test
  public void anArrayLargerThanTheBudgetIsGivenWhenNoOtherIsOut() throws Exception {
    BlockBuffers buffers = new BlockBuffers(2L * MIB);
    byte[] small = buffers.take(MIB);
    CompletableFuture<byte[]> big = CompletableFuture.supplyAsync(() -> take(buffers, 5 * MIB));
    Thread.sleep(300);
    assertThat(big).isNotDone();
    buffers.give(small);
    assertThat(big.get(30, TimeUnit.SECONDS)).hasSize(5 * MIB);
  }

  @Test
  public void smallArraysAreNotCounted() throws Exception {
    BlockBuffers buffers = new BlockBuffers(MIB);
    byte[] small = buffers.take(4096);
    assertThat(small).hasSize(4096);
    assertThat(buffers.out()).isZero();
    buffers.give(small);
    assertThat(buffers.held()).isZero();
  }

  private static byte[] take(BlockBuffers buffers, int size) {
    try {
      return buffers.take(size);
    } catch (java.io.InterruptedIOException e) {
      throw new IllegalStateException(e);
    }
  }
}
