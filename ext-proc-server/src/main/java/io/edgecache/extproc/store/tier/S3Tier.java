package io.edgecache.extproc.store.tier;

import io.edgecache.extproc.config.TiersConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * L4, the cache reserve: one object per entry, {@code prefix + sha256(key)}, in one bucket,
 * through the AWS SDK's async client. Entries larger than the multipart size are uploaded in
 * parts by the SDK's multipart client; an S3-compatible server is reached through
 * {@code endpoint} with path-style addressing.
 */
public final class S3Tier implements Tier {

  private final S3AsyncClient client;
  private final String bucket;
  private final String prefix;

  private S3Tier(S3AsyncClient client, String bucket, String prefix) {
    this.client = client;
    this.bucket = bucket;
    this.prefix = prefix;
  }

  /** Builds the client; fails only when credential files cannot be read. */
  public static S3Tier create(TiersConfig.S3 config) throws IOException {
    S3AsyncClientBuilder builder = S3AsyncClient.builder()
        .region(Region.of(config.region()))
        .forcePathStyle(config.pathStyle())
        .credentialsProvider(credentials(config.credentials()))
        .multipartEnabled(true)
        .multipartConfiguration(multipart -> multipart
            .thresholdInBytes(config.multipartBytes())
            .minimumPartSizeInBytes(config.multipartBytes()));
    if (config.endpoint() != null) {
      builder.endpointOverride(config.endpoint());
    }
    return new S3Tier(builder.build(), config.bucket(), config.prefix());
  }

  @Override
  public String name() {
    return "s3";
  }

  @Override
  public CompletableFuture<Optional<byte[]>> get(String key) {
    return client.getObject(get -> get.bucket(bucket).key(objectKey(key)),
            AsyncResponseTransformer.toBytes())
        .handle((bytes, error) -> {
          if (error == null) {
            return Optional.of(bytes.asByteArrayUnsafe());
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
    return client.putObject(put -> put.bucket(bucket).key(objectKey(key))
                .contentLength((long) encoded.length),
            AsyncRequestBody.fromBytesUnsafe(encoded))
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
