package io.edgecache.extproc.store.tier;

import io.edgecache.extproc.config.TiersConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClientBuilder;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * L4, the cache reserve: one object per entry, {@code prefix + sha256(key)}, in one bucket,
 * through the AWS SDK's async client. Entries larger than the multipart size are uploaded as
 * parts of that size, in parallel; an S3-compatible server is reached through
 * {@code endpoint} with path-style addressing.
 */
public final class S3Tier implements Tier {

  private final S3AsyncClient client;
  private final String bucket;
  private final String prefix;

  private final int partBytes;

  private S3Tier(S3AsyncClient client, String bucket, String prefix, int partBytes) {
    this.client = client;
    this.bucket = bucket;
    this.prefix = prefix;
    this.partBytes = partBytes;
  }

  /** Builds the client; fails only when credential files cannot be read. */
  public static S3Tier create(TiersConfig.S3 config) throws IOException {
    S3AsyncClientBuilder builder = S3AsyncClient.builder()
        .region(Region.of(config.region()))
        .forcePathStyle(config.pathStyle())
        .credentialsProvider(credentials(config.credentials()));
    if (config.endpoint() != null) {
      builder.endpointOverride(config.endpoint());
    }
    return new S3Tier(builder.build(), config.bucket(), config.prefix(),
        (int) Math.min(Integer.MAX_VALUE, config.multipartBytes()));
  }

  @Override
  public String name() {
    return "s3";
  }

  @Override
  public CompletableFuture<Optional<Found>> get(String key, long wholeUpTo) {
    return client.getObject(get -> get.bucket(bucket).key(objectKey(key)),
            AsyncResponseTransformer.toBytes())
        .handle((bytes, error) -> {
          if (error == null) {
            return Optional.of(Found.whole(bytes.asByteArrayUnsafe()));
          }
          Throwable cause = error instanceof CompletionException ? error.getCause() : error;
          if (cause instanceof NoSuchKeyException) {
            return Optional.empty();
          }
          throw new CompletionException(cause);
        });
  }

  /** S3 has no per-object TTL here; the bucket's lifecycle rules bound how long objects stay. */
  @Override
  public CompletableFuture<Void> put(String key, byte[] encoded, Duration timeToKeep) {
    String objectKey = objectKey(key);
    if (encoded.length <= partBytes) {
      return client.putObject(put -> put.bucket(bucket).key(objectKey)
                  .contentLength((long) encoded.length),
              AsyncRequestBody.fromBytesUnsafe(encoded))
          .thenApply(response -> null);
    }
    return client.createMultipartUpload(create -> create.bucket(bucket).key(objectKey))
        .thenCompose(upload -> uploadParts(objectKey, upload.uploadId(), encoded)
            .whenComplete((done, error) -> {
              if (error != null) { // do not leave the parts to be billed
                client.abortMultipartUpload(abort -> abort.bucket(bucket).key(objectKey)
                    .uploadId(upload.uploadId()));
              }
            }));
  }

  /** Uploads {@code encoded} in parts of {@code partBytes} (the last one shorter), in parallel. */
  private CompletableFuture<Void> uploadParts(String objectKey, String uploadId, byte[] encoded) {
    int partCount = (encoded.length + partBytes - 1) / partBytes;
    List<CompletableFuture<CompletedPart>> parts = new ArrayList<>(partCount);
    for (int i = 0; i < partCount; i++) {
      int partNumber = i + 1;
      int offset = i * partBytes;
      int length = Math.min(partBytes, encoded.length - offset);
      parts.add(client.uploadPart(part -> part.bucket(bucket).key(objectKey).uploadId(uploadId)
                  .partNumber(partNumber).contentLength((long) length),
              AsyncRequestBody.fromByteBuffer(ByteBuffer.wrap(encoded, offset, length).slice()))
          .thenApply(response ->
              CompletedPart.builder().partNumber(partNumber).eTag(response.eTag()).build()));
    }
    return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new))
        .thenCompose(all -> client.completeMultipartUpload(complete -> complete.bucket(bucket)
            .key(objectKey).uploadId(uploadId)
            .multipartUpload(upload -> upload.parts(
                parts.stream().map(CompletableFuture::join).toList()))))
        .thenApply(response -> null);
  }

  @Override
  public CompletableFuture<Void> remove(String key) {
    return client.deleteObject(delete -> delete.bucket(bucket).key(objectKey(key)))
        .thenApply(response -> null);
  }

  @Override
  public void close() {
    client.close();
  }

  private String objectKey(String key) {
    return prefix + KeyDigest.sha256Hex(key);
  }

  private static AwsCredentialsProvider credentials(TiersConfig.Credentials config)
      throws IOException {
    if (config.source() == TiersConfig.Credentials.Source.ENVIRONMENT) {
      return EnvironmentVariableCredentialsProvider.create();
    }
    return StaticCredentialsProvider.create(AwsBasicCredentials.create(
        readSecret("tiers.s3.credentials.accessKeyIdFile", config.accessKeyIdFile()),
        readSecret("tiers.s3.credentials.secretAccessKeyFile", config.secretAccessKeyFile())));
  }

  private static String readSecret(String field, Path file) throws IOException {
    String value;
    try {
      value = Files.readString(file, StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      throw new IOException(field + ": cannot read " + file + ": " + e, e);
    }
    if (value.isEmpty()) {
      throw new IOException(field + ": " + file + " is empty");
    }
    return value;
  }
}
