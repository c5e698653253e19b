package io.copyjob.tabular.kusto;

import com.microsoft.azure.kusto.data.auth.ConnectionStringBuilder;
import com.microsoft.azure.kusto.ingest.IngestClient;
import com.microsoft.azure.kusto.ingest.IngestClientFactory;
import io.copyjob.spec.Connection;
import io.copyjob.spec.KustoSpec.Auth;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Collections;

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
    Auth auth = kusto.auth();
    String u = url.toString();
    return switch (auth.method()) {
      case APPLICATION_SECRET ->
          ConnectionStringBuilder.createWithAadApplicationCredentials(
              u, auth.appId(), kusto.secret(auth.secretEnv()), auth.tenant());
      case APPLICATION_CERTIFICATE -> certificate(kusto, u);
      case MANAGED_IDENTITY ->
          auth.appId() == null
              ? ConnectionStringBuilder.createWithAadManagedIdentity(u)
              : ConnectionStringBuilder.createWithAadManagedIdentity(u, auth.appId());
      case AZURE_CLI -> ConnectionStringBuilder.createWithAzureCli(u);
      case ACCESS_TOKEN ->
          ConnectionStringBuilder.createWithAadAccessTokenAuthentication(
              u, kusto.secret(auth.secretEnv()));
        // A local endpoint: the SDK asks Azure AD for no token on localhost, so this one is never
        // sent (the parser allows it for http://localhost only).
      case NONE -> ConnectionStringBuilder.createWithAadAccessTokenAuthentication(u, "local");
    };
  }

  /** An application's certificate and key from its PKCS#12 file (.pfx/.p12). */
  private static ConnectionStringBuilder certificate(Connection.Kusto kusto, String url)
      throws IOException {
    Auth auth = kusto.auth();
    Path file = Path.of(auth.certificate());
    char[] password =
        auth.secretEnv() == null ? new char[0] : kusto.secret(auth.secretEnv()).toCharArray();
    try (InputStream in = Files.newInputStream(file)) {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(in, password);
      for (String alias : Collections.list(store.aliases())) {
        if (store.isKeyEntry(alias)) {
          PrivateKey key = (PrivateKey) store.getKey(alias, password);
          X509Certificate cert = (X509Certificate) store.getCertificate(alias);
          return ConnectionStringBuilder.createWithAadApplicationCertificate(
              url, auth.appId(), cert, key, auth.tenant());
        }
      }
      throw new IOException(where(kusto) + ": certificate file " + file + " holds no private key");
    } catch (GeneralSecurityException e) {
      // The store's words name neither the password nor the key.
      throw new IOException(
          where(kusto) + ": cannot read certificate file " + file + ": " + e.getMessage(), e);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new IOException(where(kusto) + ": no certificate file " + file, e);
    }
  }
}
