package io.copyjob.tabular.kusto;

import com.microsoft.azure.kusto.data.auth.ConnectionStringBuilder;
import com.microsoft.azure.kusto.ingest.IngestClient;
import com.microsoft.azure.kusto.ingest.IngestClientFactory;
import io.copyjob.spec.Connection;
import io.copyjob.spec.KustoSpec.Auth;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collections;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The ingest SDK's clients of a Kusto connection: its connection strings built the way the SDK
 * offers each kind of authentication, with the secrets read from their variables here, where the
 * client is made (never in a message).
 */
final class KustoClients {
  private KustoClients() {}

  /** The queued ingestion client, on the cluster's data management endpoint. */
  static IngestClient queued(Connection.Kusto kusto) throws IOException {
    try {
      return IngestClientFactory.createClient(builder(kusto, kusto.ingest()));
    } catch (URISyntaxException | IllegalArgumentException e) {
      throw new IOException(where(kusto) + ": " + e.getMessage(), e);
    }
  }

  /**
   * The managed streaming client: streaming ingestion into the engine, falling back to queued
   * ingestion when the cluster refuses it (no streaming policy) or a batch is too large for it.
   */
  static IngestClient streaming(Connection.Kusto kusto) throws IOException {
    try {
      return IngestClientFactory.createManagedStreamingIngestClient(
          builder(kusto, kusto.ingest()), builder(kusto, kusto.cluster()));
    } catch (URISyntaxException | IllegalArgumentException e) {
      throw new IOException(where(kusto) + ": " + e.getMessage(), e);
    }
  }

  static String where(Connection.Kusto kusto) {
    return "connection '" + kusto.name() + "' (" + kusto.cluster() + ")";
  }

  /** The SDK's connection string for {@code url}, authenticated as the connection says. */
  static ConnectionStringBuilder builder(Connection.Kusto kusto, URI url) throws IOException {
    return builder(kusto, url, System::getenv);
  }

  /**
   * The same, with the variables read from {@code variables} (the environment, or a test's own).
   */
  static ConnectionStringBuilder builder(
      Connection.Kusto kusto, URI url, UnaryOperator<String> variables) throws IOException {
    Auth auth = kusto.auth();
    String u = url.toString();
    return switch (auth.method()) {
      case APPLICATION_SECRET ->
          ConnectionStringBuilder.createWithAadApplicationCredentials(
              u, auth.appId(), secret(kusto, auth.secretEnv(), variables), auth.tenant());
      case APPLICATION_CERTIFICATE -> certificate(kusto, u, variables);
      case MANAGED_IDENTITY ->
          auth.appId() == null
              ? ConnectionStringBuilder.createWithAadManagedIdentity(u)
              : ConnectionStringBuilder.createWithAadManagedIdentity(u, auth.appId());
      case AZURE_CLI -> ConnectionStringBuilder.createWithAzureCli(u);
      case ACCESS_TOKEN ->
          ConnectionStringBuilder.createWithAadAccessTokenAuthentication(
              u, secret(kusto, auth.secretEnv(), variables));
        // A local endpoint: the SDK asks Azure AD for no token on localhost, so this one is never
        // sent (the parser allows it for http://localhost only).
      case NONE -> ConnectionStringBuilder.createWithAadAccessTokenAuthentication(u, "local");
    };
  }

  /** What {@code variable} holds; unset or empty is one line naming it and the connection. */
  private static String secret(
      Connection.Kusto kusto, String variable, UnaryOperator<String> variables) throws IOException {
    String value = variables.apply(variable);
    if (value == null || value.isEmpty()) {
      throw new IOException(
          "connection '" + kusto.name() + "': environment variable " + variable + " is not set");
    }
    return value;
  }

  /**
   * An application's certificate and private key: from a PEM file (the certificate and a PKCS#8
   * key, {@code BEGIN PRIVATE KEY}), else from a PKCS#12 file (.pfx/.p12) opened with the password
   * of {@code passwordEnv} (none: empty).
   */
  private static ConnectionStringBuilder certificate(
      Connection.Kusto kusto, String url, UnaryOperator<String> variables) throws IOException {
    Auth auth = kusto.auth();
    Path file =
        auth.certificate() != null
            ? Path.of(auth.certificate())
            : Path.of(secret(kusto, auth.certificateEnv(), variables));
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new IOException(where(kusto) + ": no certificate file " + file, e);
    }
    String text = new String(bytes, StandardCharsets.US_ASCII);
    boolean pem = text.contains("-----BEGIN CERTIFICATE-----");
    char[] password =
        pem || auth.secretEnv() == null
            ? new char[0]
            : secret(kusto, auth.secretEnv(), variables).toCharArray();
    try {
      if (pem) {
        return pem(kusto, url, file, text);
      }
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(new ByteArrayInputStream(bytes), password);
      for (String alias : Collections.list(store.aliases())) {
        if (store.isKeyEntry(alias)) {
          PrivateKey key = (PrivateKey) store.getKey(alias, password);
          X509Certificate cert = (X509Certificate) store.getCertificate(alias);
          return ConnectionStringBuilder.createWithAadApplicationCertificate(
              url, auth.appId(), cert, key, auth.tenant());
        }
      }
      throw new IOException(where(kusto) + ": certificate file " + file + " holds no private key");
    } catch (GeneralSecurityException | IOException | IllegalArgumentException e) {
      if (e instanceof IOException io && io.getMessage().startsWith(where(kusto))) {
        throw io;
      }
      // The store's words name neither the password nor the key.
      throw new IOException(
          where(kusto) + ": cannot read certificate file " + file + ": " + e.getMessage(), e);
    }
  }

  private static final Pattern PEM =
      Pattern.compile("-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

  /** A PEM file's first certificate and its PKCS#8 private key (RSA or EC). */
  private static ConnectionStringBuilder pem(
      Connection.Kusto kusto, String url, Path file, String text)
      throws GeneralSecurityException, IOException {
    X509Certificate cert = null;
    byte[] key = null;
    Matcher m = PEM.matcher(text);
    while (m.find()) {
      byte[] der = Base64.getMimeDecoder().decode(m.group(2));
      if (m.group(1).equals("CERTIFICATE") && cert == null) {
        cert =
            (X509Certificate)
                CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
      } else if (m.group(1).equals("PRIVATE KEY")) {
        key = der;
      }
    }
    if (key == null) {
      throw new IOException(
          where(kusto)
              + ": certificate file "
              + file
              + " holds no PKCS#8 private key (BEGIN PRIVATE KEY)");
    }
    String algorithm = cert.getPublicKey().getAlgorithm();
    PrivateKey privateKey =
        KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(key));
    return ConnectionStringBuilder.createWithAadApplicationCertificate(
        url, kusto.auth().appId(), cert, privateKey, kusto.auth().tenant());
  }
}
