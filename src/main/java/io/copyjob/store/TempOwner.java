package io.copyjob.store;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Who a temporary file belongs to: one run of one job. Temporary names carry it as {@code TAG-RUN}:
 * the tag is the first 12 hex digits of the SHA-256 of the job's name (a job's name may take 100
 * characters, and a file name holds 255 bytes in all), so that a later run of the same job
 * recognises what a killed run left, and never touches another job's.
 *
 * @param job the job's name
 * @param runId the run's id in the control store
 */
public record TempOwner(String job, long runId) implements Serializable {

  /** The job's part of a temporary name. */
  public String jobTag() {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(job.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
