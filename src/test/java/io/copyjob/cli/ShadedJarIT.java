package io.copyjob.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.junit.Test;

/**
 * What the shaded jar registers with Beam at start. Beam's S3, Azure and GCS file systems are in
 * the jar as dependencies but never used (the stores call the SDKs directly); registered, they made
 * every run build their options and Jackson modules, about 2 s of a run that copies nothing.
 * Flink's runner and options registrars are left out too (Beam built a proxy class for each of its
 * options interfaces at every start): {@code RunnerOptions} registers them when the Flink runner is
 * chosen, and Flink's transform translators stay listed.
 */
public class ShadedJarIT {
  private static final Path ROOT =
      Path.of(System.getProperty("copyjob.root", ".")).toAbsolutePath();
  private static final Path JAR =
      Path.of(System.getProperty("copyjob.jar", ROOT.resolve("target/copyjob.jar").toString()));

  @Test
  public void
      theJarRegistersTheDirectRunnerAndLocalFilesButNotFlinksOptionsOrBeamsCloudFileSystems()
          throws IOException {
    List<String> options = services("org.apache.beam.sdk.options.PipelineOptionsRegistrar");
    List<String> fileSystems = services("org.apache.beam.sdk.io.FileSystemRegistrar");
    List<String> runners = services("org.apache.beam.sdk.runners.PipelineRunnerRegistrar");

    assertThat(runners).containsExactly("org.apache.beam.runners.direct.DirectRegistrar$Runner");
    assertThat(options)
        .contains(
            "org.apache.beam.sdk.options.DefaultPipelineOptionsRegistrar",
            "org.apache.beam.runners.direct.DirectRegistrar$Options");
    assertThat(String.join("\n", options)).doesNotContain(".flink.");
    assertThat(
            services("org.apache.beam.sdk.util.construction.TransformPayloadTranslatorRegistrar"))
        .contains(
            "org.apache.beam.runners.flink.FlinkStreamingTransformTranslators$FlinkTransformsRegistrar");
    assertThat(fileSystems).contains("org.apache.beam.sdk.io.LocalFileSystemRegistrar");
    assertThat(String.join("\n", options) + String.join("\n", fileSystems))
        .doesNotContain(".aws2.", ".azure.", ".gcp.");
    assertThat(services("com.fasterxml.jackson.databind.Module"))
        .noneMatch(m -> m.contains("beam"));
  }

  /** OpenSSL's MD5 ({@code store.Checksums}): Conscrypt's native library for Linux on x86-64. */
  @Test
  public void theJarHoldsConscryptsNativeLibraryForLinuxOnX8664() throws IOException {
    try (JarFile jar = new JarFile(JAR.toFile())) {
      assertThat(jar.getEntry("META-INF/native/libconscrypt_openjdk_jni-linux-x86_64.so"))
          .isNotNull();
      assertThat(jar.getEntry("org/conscrypt/Conscrypt.class")).isNotNull();
    }
  }

  private static List<String> services(String name) throws IOException {
    try (JarFile jar = new JarFile(JAR.toFile())) {
      ZipEntry entry = jar.getEntry("META-INF/services/" + name);
      if (entry == null) {
        return List.of();
      }
      try (InputStream in = jar.getInputStream(entry)) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8)
            .lines()
            .map(String::strip)
            .filter(l -> !l.isEmpty() && !l.startsWith("#"))
            .toList();
      }
    }
  }
}
