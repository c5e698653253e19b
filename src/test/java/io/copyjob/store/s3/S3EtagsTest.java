package io.copyjob.store.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.Test;
import software.amazon.awssdk.services.s3.model.CopyObjectResponse;
import software.amazon.awssdk.services.s3.model.CopyObjectResult;
import software.amazon.awssdk.services.s3.model.GetBucketEncryptionResponse;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.ServerSideEncryptionByDefault;
import software.amazon.awssdk.services.s3.model.ServerSideEncryptionConfiguration;
import software.amazon.awssdk.services.s3.model.ServerSideEncryptionRule;

/**
 * Which S3 answers give an MD5, on the SDK's own response objects as it builds them from S3's
 * headers. s3proxy encrypts nothing, so SSE-KMS and SSE-C answers cannot come from a server here.
 */
public class S3EtagsTest {
  private static final String MD5 = "9e107d9d372bb6826bd81d3542a419d6";
  private static final String ETAG = "\"9E107D9D372BB6826BD81D3542A419D6\"";
  private static final String KEPT = "0123456789abcdef0123456789abcdef";

  @Test
  public void aPlainOrSseS3SinglePartEtagIsTheMd5() {
    assertThat(S3Etags.written(PutObjectResponse.builder().eTag(ETAG).build())).isEqualTo(MD5);
    assertThat(
            S3Etags.written(
                PutObjectResponse.builder()
                    .eTag(ETAG)
                    .serverSideEncryption(ServerSideEncryption.AES256)
                    .build()))
        .isEqualTo(MD5);
  }

  @Test
  public void anSseKmsOrSseCEtagIsNoMd5() {
    assertThat(
            S3Etags.written(
                PutObjectResponse.builder()
                    .eTag(ETAG)
                    .serverSideEncryption(ServerSideEncryption.AWS_KMS)
                    .build()))
        .isNull();
    // Dual-layer KMS, newer than this SDK's enum: it comes as a string.
    assertThat(
            S3Etags.written(
                PutObjectResponse.builder()
                    .eTag(ETAG)
                    .serverSideEncryption("aws:kms:dsse")
                    .build()))
        .isNull();
    assertThat(
            S3Etags.written(
                PutObjectResponse.builder().eTag(ETAG).sseCustomerAlgorithm("AES256").build()))
        .isNull();
    assertThat(
            S3Etags.written(
                CopyObjectResponse.builder()
                    .copyObjectResult(CopyObjectResult.builder().eTag(ETAG).build())
                    .serverSideEncryption(ServerSideEncryption.AWS_KMS)
                    .build()))
        .isNull();
  }

  @Test
  public void whereTheEtagIsNoMd5TheMetadataKeepsIt() {
    Map<String, String> metadata = Map.of(S3Store.MD5_METADATA, KEPT);
    assertThat(
            S3Etags.md5(
                HeadObjectResponse.builder()
                    .eTag(ETAG)
                    .serverSideEncryption(ServerSideEncryption.AWS_KMS)
                    .metadata(metadata)
                    .build()))
        .isEqualTo(KEPT);
    assertThat(
            S3Etags.md5(
                GetObjectResponse.builder()
                    .eTag(ETAG)
                    .sseCustomerAlgorithm("AES256")
                    .metadata(metadata)
                    .build()))
        .isEqualTo(KEPT);
    assertThat(
            S3Etags.md5(
                HeadObjectResponse.builder()
                    .eTag(ETAG)
                    .serverSideEncryption(ServerSideEncryption.AWS_KMS)
                    .build()))
        .isNull();
    // A multipart ETag is no MD5 whatever the encryption.
    assertThat(
            S3Etags.md5(
                HeadObjectResponse.builder().eTag("\"" + MD5 + "-3\"").metadata(metadata).build()))
        .isEqualTo(KEPT);
    assertThat(S3Etags.md5(GetObjectResponse.builder().eTag(ETAG).metadata(metadata).build()))
        .isEqualTo(MD5);
  }

  @Test
  public void aBucketThatEncryptsWithKmsByDefaultListsEtagsThatAreNoMd5s() {
    assertThat(S3Etags.defaultIsKms(encryption(ServerSideEncryption.AWS_KMS.toString()))).isTrue();
    assertThat(S3Etags.defaultIsKms(encryption("aws:kms:dsse"))).isTrue();
    assertThat(S3Etags.defaultIsKms(encryption(ServerSideEncryption.AES256.toString()))).isFalse();
    // What s3proxy answers: a configuration without rules.
    assertThat(
            S3Etags.defaultIsKms(
                GetBucketEncryptionResponse.builder()
                    .serverSideEncryptionConfiguration(
                        ServerSideEncryptionConfiguration.builder().build())
                    .build()))
        .isFalse();
    assertThat(S3Etags.defaultIsKms(GetBucketEncryptionResponse.builder().build())).isFalse();
  }

  private static GetBucketEncryptionResponse encryption(String algorithm) {
    return GetBucketEncryptionResponse.builder()
        .serverSideEncryptionConfiguration(
            ServerSideEncryptionConfiguration.builder()
                .rules(
                    ServerSideEncryptionRule.builder()
                        .applyServerSideEncryptionByDefault(
                            ServerSideEncryptionByDefault.builder()
                                .sseAlgorithm(algorithm)
                                .kmsMasterKeyID("arn:aws:kms:eu-west-1:111122223333:key/k")
                                .build())
                        .build())
                .build())
        .build();
  }
}
