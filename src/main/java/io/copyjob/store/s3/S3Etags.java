package io.copyjob.store.s3;

import java.util.Map;
import software.amazon.awssdk.services.s3.model.CopyObjectResponse;
import software.amazon.awssdk.services.s3.model.GetBucketEncryptionResponse;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.ServerSideEncryptionRule;

/**
 * What an S3 answer says of an object's MD5. A single-part object's ETag is the MD5 of its content
 * unless the object is encrypted with SSE-KMS ({@code aws:kms}, {@code aws:kms:dsse}) or SSE-C,
 * whose ETags are not MD5s (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html); a
 * multipart object's ETag never is. Where the ETag is no MD5, the one copyjob computed or was given
 * is kept in the object's metadata ({@link S3Store#MD5_METADATA}).
 *
 * <p>PutObject, CompleteMultipartUpload, CopyObject, HeadObject and GetObject answers say the
 * object's encryption; ListObjectsV2 does not, so a listing trusts ETags only in a bucket whose
 * default encryption is not SSE-KMS ({@link #defaultIsKms}), and a read corrects it from its GET.
 */
final class S3Etags {
  private S3Etags() {}

  /** The hex MD5 an ETag holds if it is one of a single-part object; null for a multipart one. */
  static String md5FromETag(String eTag) {
    if (eTag == null) {
      return null;
    }
    String value = eTag.replace("\"", "");
    return value.length() == 32 && !value.contains("-") ? value.toLowerCase() : null;
  }

  /**
   * Whether an object with this encryption has an ETag that can be its MD5.
   *
   * @param serverSideEncryption the {@code x-amz-server-side-encryption} answered, as a string (the
   *     SDK may not know {@code aws:kms:dsse} as a value)
   * @param sseCustomerAlgorithm the {@code x-amz-server-side-encryption-customer-algorithm}
   *     answered: set for SSE-C
   */
  static boolean etagCanBeMd5(String serverSideEncryption, String sseCustomerAlgorithm) {
    return sseCustomerAlgorithm == null
        && (serverSideEncryption == null || !serverSideEncryption.startsWith("aws:kms"));
  }

  /** The object's MD5: its ETag where that is one, else the one kept in its metadata, else null. */
  static String md5(
      String eTag, String encryption, String sseCustomerAlgorithm, Map<String, String> metadata) {
    String md5 = etagCanBeMd5(encryption, sseCustomerAlgorithm) ? md5FromETag(eTag) : null;
    if (md5 == null && metadata != null) {
      md5 = metadata.get(S3Store.MD5_METADATA);
    }
    return md5;
  }

  static String md5(HeadObjectResponse head) {
    return md5(
        head.eTag(),
        head.serverSideEncryptionAsString(),
        head.sseCustomerAlgorithm(),
        head.metadata());
  }

  static String md5(GetObjectResponse get) {
    return md5(
        get.eTag(), get.serverSideEncryptionAsString(), get.sseCustomerAlgorithm(), get.metadata());
  }

  /** The MD5 of what a PutObject stored, where its ETag is one; else null. */
  static String written(PutObjectResponse put) {
    return md5(put.eTag(), put.serverSideEncryptionAsString(), put.sseCustomerAlgorithm(), null);
  }

  /** The MD5 of what a CopyObject wrote, where its ETag is one; else null. */
  static String written(CopyObjectResponse copy) {
    return md5(
        copy.copyObjectResult().eTag(),
        copy.serverSideEncryptionAsString(),
        copy.sseCustomerAlgorithm(),
        null);
  }

  /** Whether a bucket encrypts new objects with SSE-KMS by default, whose ETags are no MD5s. */
  static boolean defaultIsKms(GetBucketEncryptionResponse encryption) {
    if (encryption.serverSideEncryptionConfiguration() == null) {
      return false;
    }
    for (ServerSideEncryptionRule rule : encryption.serverSideEncryptionConfiguration().rules()) {
      var byDefault = rule.applyServerSideEncryptionByDefault();
      if (byDefault != null && !etagCanBeMd5(byDefault.sseAlgorithmAsString(), null)) {
        return true;
      }
    }
    return false;
  }
}
