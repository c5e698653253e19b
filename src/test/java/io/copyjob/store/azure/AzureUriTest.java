package io.copyjob.store.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import org.junit.Test;

public class AzureUriTest {
  private static AzureUri parse(String uri) {
    return AzureUri.parse(URI.create(uri));
  }

  @Test
  public void theFormsUsersHaveNameTheSamePlace() {
    AzureUri expected = new AzureUri("acct", "data", "raw/2024/", null);
    assertThat(parse("azfs://acct/data/raw/2024/")).isEqualTo(expected);
    assertThat(parse("azfs://acct/data/raw/2024")).isEqualTo(expected);
    assertThat(parse("abfss://data@acct.dfs.core.windows.net/raw/2024/"))
        .isEqualTo(new AzureUri("acct", "data", "raw/2024/", "https://acct.blob.core.windows.net"));
    assertThat(parse("https://acct.blob.core.windows.net/data/raw/2024/"))
        .isEqualTo(new AzureUri("acct", "data", "raw/2024/", "https://acct.blob.core.windows.net"));
  }

  @Test
  public void theEmulatorsPathStyleForm() {
    assertThat(parse("http://127.0.0.1:10000/devstoreaccount1/data/in/"))
        .isEqualTo(
            new AzureUri(
                "devstoreaccount1", "data", "in/", "http://127.0.0.1:10000/devstoreaccount1"));
    assertThat(parse("http://127.0.0.1:10000/devstoreaccount1/data"))
        .isEqualTo(
            new AzureUri(
                "devstoreaccount1", "data", "", "http://127.0.0.1:10000/devstoreaccount1"));
  }

  @Test
  public void theEndpointIsTheConfiguredOneThenTheUrisThenThePublicClouds() {
    assertThat(parse("azfs://acct/c/").endpointOr(null))
        .isEqualTo("https://acct.blob.core.windows.net");
    assertThat(parse("azfs://acct/c/").endpointOr("http://127.0.0.1:1/acct"))
        .isEqualTo("http://127.0.0.1:1/acct");
  }

  @Test
  public void aUriWithoutAContainerIsRefused() {
    assertThatThrownBy(() -> parse("azfs://acct/"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("not an Azure Blob URI");
    assertThatThrownBy(() -> parse("abfss://acct.dfs.core.windows.net/x"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
