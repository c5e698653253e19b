package io.copyjob.tabular.kusto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.microsoft.azure.kusto.data.auth.ConnectionStringBuilder;
import io.copyjob.spec.Connection;
import io.copyjob.spec.KustoSpec.Auth;
import io.copyjob.spec.KustoSpec.AuthMethod;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Each way a job file authenticates a Kusto connection builds the ingest SDK's matching connection
 * string: its fields are read back from the SDK's {@link ConnectionStringBuilder}. No Azure AD can
 * be reached here, so that each one obtains a token is not shown. A missing variable is one line
 * naming it and the connection; no message holds a secret.
 */
public class KustoClientsTest {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static final URI CLUSTER = URI.create("https://help.westeurope.kusto.windows.net");
  private static final URI INGEST = URI.create("https://ingest-help.westeurope.kusto.windows.net");
  private static final String PASSWORD = "pfx-password-7c1e";
  private static Path pfx;
  private static Path pem;
  private static X509Certificate certificate;
  private static PrivateKey key;

  /** A self-signed certificate made by the JDK's keytool, as a PKCS#12 file and as PEM. */
  @BeforeClass
  public static void certificates() throws Exception {
    pfx = TMP.getRoot().toPath().resolve("app.pfx");
    Process keytool =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair",
                "-alias",
                "app",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-dname",
                "CN=copyjob-test",
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                pfx.toString(),
                "-storepass",
                PASSWORD)
            .redirectErrorStream(true)
            .start();
    String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(keytool.exitValue()).as(output).isZero();
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(pfx)) {
      store.load(in, PASSWORD.toCharArray());
    }
    certificate = (X509Certificate) store.getCertificate("app");
    key = (PrivateKey) store.getKey("app", PASSWORD.toCharArray());
    Base64.Encoder base64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
    pem = TMP.getRoot().toPath().resolve("app.pem");
    Files.writeString(
        pem,
        "-----BEGIN CERTIFICATE-----\n"
            + base64.encodeToString(certificate.getEncoded())
            + "\n-----END CERTIFICATE-----\n"
            + "-----BEGIN PRIVATE KEY-----\n"
            + base64.encodeToString(key.getEncoded())
            + "\n-----END PRIVATE KEY-----\n");
  }

  private static Connection.Kusto connection(Auth auth) {
    return new Connection.Kusto("adx", CLUSTER, INGEST, auth);
  }

  private static ConnectionStringBuilder build(Auth auth, Map<String, String> variables)
      throws IOException {
    return KustoClients.builder(connection(auth), INGEST, variables::get);
  }

  /** A field of the SDK's builder, whose getters are package-private. */
  private static Object field(ConnectionStringBuilder b, String name) throws Exception {
    Field f = ConnectionStringBuilder.class.getDeclaredField(name);
    f.setAccessible(true);
    return f.get(b);
  }

  @Test
  public void anApplicationWithASecret() throws Exception {
    ConnectionStringBuilder b =
        build(
            new Auth(AuthMethod.APPLICATION_SECRET, "app-1", "t.example", "ADX_SECRET", null),
            Map.of("ADX_SECRET", "s3cr3t"));

    assertThat(b.getClusterUrl()).isEqualTo(INGEST.toString());
    assertThat(field(b, "applicationClientId")).isEqualTo("app-1");
    assertThat(field(b, "applicationKey")).isEqualTo("s3cr3t");
    assertThat(field(b, "aadAuthorityId")).isEqualTo("t.example");
    assertThat(field(b, "aadFederatedSecurity")).isEqualTo(true);
    assertThat(field(b, "useCertificateAuth")).isEqualTo(false);
    // The SDK's own text of it hides the secret.
    assertThat(b.toString()).doesNotContain("s3cr3t");
  }

  @Test
  public void anApplicationWithAPkcs12CertificateNamedInTheJobFile() throws Exception {
    ConnectionStringBuilder b =
        build(
            new Auth(
                AuthMethod.APPLICATION_CERTIFICATE,
                "app-1",
                "t.example",
                "ADX_CERT_PASSWORD",
                pfx.toUri()),
            Map.of("ADX_CERT_PASSWORD", PASSWORD));

    assertThat(field(b, "useCertificateAuth")).isEqualTo(true);
    assertThat(field(b, "applicationClientId")).isEqualTo("app-1");
    assertThat(field(b, "aadAuthorityId")).isEqualTo("t.example");
    assertThat(field(b, "x509Certificate")).isEqualTo(certificate);
    assertThat(field(b, "privateKey")).isEqualTo(key);
  }

  @Test
  public void anApplicationWithAPemCertificateWhosePathIsInAVariable() throws Exception {
    ConnectionStringBuilder b =
        build(
            new Auth(
                AuthMethod.APPLICATION_CERTIFICATE, "app-1", "t.example", null, null, "ADX_CERT"),
            Map.of("ADX_CERT", pem.toString()));

    assertThat(field(b, "useCertificateAuth")).isEqualTo(true);
    assertThat(field(b, "x509Certificate")).isEqualTo(certificate);
    assertThat(field(b, "privateKey")).isEqualTo(key);
  }

  @Test
  public void managedIdentitySystemOrUserAssigned() throws Exception {
    ConnectionStringBuilder system =
        build(new Auth(AuthMethod.MANAGED_IDENTITY, null, null, null, null), Map.of());
    ConnectionStringBuilder user =
        build(new Auth(AuthMethod.MANAGED_IDENTITY, "client-9", null, null, null), Map.of());

    assertThat(field(system, "useManagedIdentityAuth")).isEqualTo(true);
    assertThat(system.getManagedIdentityClientId()).isNull();
    assertThat(field(user, "useManagedIdentityAuth")).isEqualTo(true);
    assertThat(user.getManagedIdentityClientId()).isEqualTo("client-9");
  }

  @Test
  public void theAzureCli() throws Exception {
    ConnectionStringBuilder b =
        build(new Auth(AuthMethod.AZURE_CLI, null, null, null, null), Map.of());

    assertThat(field(b, "useAzureCli")).isEqualTo(true);
    assertThat(field(b, "aadFederatedSecurity")).isEqualTo(true);
  }

  @Test
  public void anAccessTokenInAVariable() throws Exception {
    ConnectionStringBuilder b =
        build(
            new Auth(AuthMethod.ACCESS_TOKEN, null, null, "ADX_TOKEN", null),
            Map.of("ADX_TOKEN", "eyJ.token"));

    assertThat(field(b, "accessToken")).isEqualTo("eyJ.token");
    assertThat(b.toString()).doesNotContain("eyJ.token");
  }

  @Test
  public void aMissingVariableIsOneLineNamingItAndTheConnection() {
    for (Auth auth :
        new Auth[] {
          new Auth(AuthMethod.APPLICATION_SECRET, "a", "t", "ADX_MISSING", null),
          new Auth(AuthMethod.ACCESS_TOKEN, null, null, "ADX_MISSING", null),
          new Auth(AuthMethod.APPLICATION_CERTIFICATE, "a", "t", null, null, "ADX_MISSING"),
          new Auth(AuthMethod.APPLICATION_CERTIFICATE, "a", "t", "ADX_MISSING", pfx.toUri())
        }) {
      assertThatThrownBy(() -> build(auth, Map.of("ADX_OTHER", "x")))
          .as(auth.toString())
          .isInstanceOf(IOException.class)
          .hasMessage("connection 'adx': environment variable ADX_MISSING is not set");
    }
  }

  @Test
  public void aWrongPasswordOrFileNamesTheFileNeverThePassword() {
    String wrong = "not-the-password-42";
    assertThatThrownBy(
            () ->
                build(
                    new Auth(AuthMethod.APPLICATION_CERTIFICATE, "a", "t", "ADX_PW", pfx.toUri()),
                    Map.of("ADX_PW", wrong)))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith(
            "connection 'adx' (" + CLUSTER + "): cannot read certificate file " + pfx + ": ")
        .message()
        .doesNotContain(wrong)
        .doesNotContain("\n");
    Path none = TMP.getRoot().toPath().resolve("none.pfx");
    assertThatThrownBy(
            () ->
                build(
                    new Auth(AuthMethod.APPLICATION_CERTIFICATE, "a", "t", null, null, "ADX_CERT"),
                    Map.of("ADX_CERT", none.toString())))
        .hasMessage("connection 'adx' (" + CLUSTER + "): no certificate file " + none);
  }
}
