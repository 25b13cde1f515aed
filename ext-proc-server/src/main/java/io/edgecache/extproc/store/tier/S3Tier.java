package io.edgecache.extproc.store.tier;

import io.edgecache.extproc.config.ConfigValues;
import io.edgecache.extproc.config.TiersConfig;
import io.edgecache.extproc.fields.ByteRanges;
import io.edgecache.extproc.store.CorruptEntryException;
import io.edgecache.extproc.store.EntryCodec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.reactivestreams.Publisher;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClientBuilder;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * L4, the cache reserve: one object per entry, {@code prefix + sha256(key)}, in one bucket,
 * through the AWS SDK's async client. Entries larger than the multipart size are uploaded as
 * parts of that size, a few in parallel; an S3-compatible server is reached through
 * {@code endpoint} with path-style addressing. Reads and file uploads stream, so an entry of
 * any size costs the heap no more than a probe or a part's buffers unless its body is asked
 * for whole.
 */
public final class S3Tier implements Tier, EntryObjects {

  /** The first GET of a read: a small entry whole, or the head of almost any entry. */
  static final int PROBE_BYTES = 64 << 10;
  /** Parts of one multipart upload in flight at once. */
  private static final int PARALLEL_PARTS = 4;
  private static final int MAX_ARRAY_BYTES = Integer.MAX_VALUE - 8;
  /** An If-Match that no longer matches: the object was replaced between two ranged GETs. */
  private static final int PRECONDITION_FAILED = 412;

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
  public boolean shared() {
    return true;
  }

  @Override
  public Optional<EntryObjects> objects() {
    return Optional.of(this);
  }

  /**
   * Reads with ranged GETs so a large entry's body never enters the heap unless asked for: the
   * first {@link #PROBE_BYTES} hold a small entry whole, or the head of almost any entry; the
   * rest, or a head longer than the probe, is fetched from the same object version (If-Match),
   * and an entry replaced meanwhile reads as a miss. When only the head is returned it is
   * checked against the object's size and the key, and a bad one fails the future with a
   * {@link CorruptEntryException} cause (a whole entry is checked by its decoder instead).
   */
  @Override
  public CompletableFuture<Optional<Found>> get(String key, long wholeUpTo) {
    String objectKey = objectKey(key);
    return getBytes(objectKey, null, 0, PROBE_BYTES - 1)
        .thenCompose(probe -> afterProbe(key, objectKey, probe, wholeUpTo))
        .handle((found, error) -> {
          if (error == null) {
            return found;
          }
          Throwable cause = cause(error);
          if (cause instanceof S3Exception s3 && (cause instanceof NoSuchKeyException
              || s3.statusCode() == PRECONDITION_FAILED)) {
            return Optional.empty();
          }
          throw new CompletionException(cause);
        });
  }

  /**
   * The whole encoded entry under {@code key} as a blocking stream, read from the network as
   * it is consumed (for copying an entry to the disk tier). The caller reads it off the SDK's
   * threads and closes it; closing early aborts the download. Fails with a
   * {@link NoSuchKeyException} cause when there is no such entry.
   */
  @Override
  public CompletableFuture<InputStream> openEncoded(String key) {
    return client.getObject(get -> get.bucket(bucket).key(objectKey(key)),
            AsyncResponseTransformer.toBlockingInputStream())
        .thenApply(stream -> stream); // widens the type
  }

  /**
   * Bytes {@code first} to {@code last} (inclusive offsets in the encoded entry, within the
   * layout {@link #get} returned) streamed with backpressure, for sending a body to a client.
   * The caller must subscribe once, and cancel the subscription if it stops before the end:
   * until the stream completes or is cancelled it holds one of the client's connections.
   */
  @Override
  public CompletableFuture<Publisher<ByteBuffer>> openRange(String key, long first, long last) {
    if (first < 0 || last < first) {
      return CompletableFuture.failedFuture(
          new IllegalArgumentException("bad range " + first + "-" + last));
    }
    return client.getObject(get -> get.bucket(bucket).key(objectKey(key)).range(range(first, last)),
            AsyncResponseTransformer.toPublisher())
        .thenApply(publisher -> publisher); // widens the type
  }

  /** S3 has no per-object TTL here; the bucket's lifecycle rules bound how long objects stay. */
  @Override
  public CompletableFuture<Void> put(String key, byte[] encoded, Duration timeToKeep) {
    return upload(objectKey(key), encoded.length, (offset, count) ->
        AsyncRequestBody.fromRemainingByteBufferUnsafe(
            ByteBuffer.wrap(encoded, (int) offset, (int) count)));
  }

  /** Streams the file from disk, a part at a time; see {@link #put} on how long it stays. */
  @Override
  public CompletableFuture<Void> putFile(String key, Path encodedFile, long length,
      Duration timeToKeep) {
    return upload(objectKey(key), length, (offset, count) -> AsyncRequestBody.fromFile(
        file -> file.path(encodedFile).position(offset).numBytesToRead(count)));
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

  /**
   * After the probe: the whole entry when the probe held it or its body is wanted (the rest
   * fetched), else its checked head (fetched whole first when longer than the probe).
   */
  private CompletableFuture<Optional<Found>> afterProbe(String key, String objectKey,
      ResponseBytes<GetObjectResponse> probe, long wholeUpTo) {
    byte[] start = probe.asByteArrayUnsafe();
    long size = objectSize(probe.response());
    if (start.length >= size) {
      return CompletableFuture.completedFuture(Optional.of(Found.whole(start)));
    }
    String etag = probe.response().eTag();
    long bodyOffset;
    try {
      bodyOffset = EntryCodec.bodyOffset(start);
    } catch (CorruptEntryException e) {
      return CompletableFuture.failedFuture(e);
    }
    if (size - bodyOffset - EntryCodec.TRAILER_BYTES <= wholeUpTo) {
      return wholeFrom(objectKey, etag, start, size)
          .thenApply(whole -> Optional.of(Found.whole(whole)));
    }
    CompletableFuture<byte[]> head = bodyOffset <= start.length
        ? CompletableFuture.completedFuture(start)
        : getBytes(objectKey, etag, 0, bodyOffset - 1).thenApply(ResponseBytes::asByteArrayUnsafe);
    return head.thenApply(bytes -> Optional.of(Found.headOnly(checkedLayout(key, bytes, size))));
  }

  /** The whole object of {@code size} bytes: {@code start} and the rest of the same version. */
  private CompletableFuture<byte[]> wholeFrom(String objectKey, String etag, byte[] start,
      long size) {
    if (size > MAX_ARRAY_BYTES) {
      return CompletableFuture.failedFuture(
          new IOException("object of " + size + " bytes cannot be read whole"));
    }
    return getBytes(objectKey, etag, start.length, size - 1).thenApply(rest -> {
      ByteBuffer tail = rest.asByteBuffer();
      if (tail.remaining() != size - start.length) {
        throw new CompletionException(new IOException("asked for bytes " + start.length + "-"
            + (size - 1) + ", got " + tail.remaining() + " bytes"));
      }
      byte[] whole = Arrays.copyOf(start, (int) size);
      tail.get(whole, start.length, tail.remaining());
      return whole;
    });
  }

  /** Bytes {@code first} to {@code last} of the object, of version {@code etag} unless null. */
  private CompletableFuture<ResponseBytes<GetObjectResponse>> getBytes(String objectKey,
      String etag, long first, long last) {
    return client.getObject(
        get -> get.bucket(bucket).key(objectKey).range(range(first, last)).ifMatch(etag),
        AsyncResponseTransformer.toBytes());
  }

  /** The layout at the start of an object of {@code size} bytes, if it fits that size and key. */
  private static EntryCodec.Layout checkedLayout(String key, byte[] start, long size) {
    try {
      return EntryCodec.readHead(new ByteArrayInputStream(start))
          .requireStored("object", size, key);
    } catch (CorruptEntryException e) {
      throw new CompletionException(e);
    }
  }

  /** From Content-Range ("bytes 0-65535/1048580"), or the length of a whole-object answer. */
  private static long objectSize(GetObjectResponse response) {
    String contentRange = response.contentRange();
    if (contentRange == null) {
      return response.contentLength();
    }
    long size = ByteRanges.completeLength(contentRange);
    if (size < 0) {
      // fails the read as an error, as before: a part's length is not the object's size
      throw new NumberFormatException("unusable Content-Range: " + contentRange);
    }
    return size;
  }

  private static Throwable cause(Throwable error) {
    return error instanceof CompletionException ? error.getCause() : error;
  }

  private static String range(long first, long last) {
    return "bytes=" + first + "-" + last;
  }

  /** The body of bytes {@code [offset, offset + count)} of what is being uploaded. */
  @FunctionalInterface
  private interface Slices {
    AsyncRequestBody slice(long offset, long count);
  }

  /**
   * Uploads {@code length} bytes in one PutObject, or in parts of {@code partBytes} (the last
   * one shorter). A multipart upload that fails is aborted, so its parts are not left billed,
   * before the result fails with the upload's error.
   */
  private CompletableFuture<Void> upload(String objectKey, long length, Slices slices) {
    if (length <= partBytes) {
      return client.putObject(put -> put.bucket(bucket).key(objectKey).contentLength(length),
              slices.slice(0, length))
          .thenApply(response -> null);
    }
    return client.createMultipartUpload(create -> create.bucket(bucket).key(objectKey))
        .thenCompose(upload -> new Parts(objectKey, upload.uploadId(), length, slices).upload()
            .exceptionallyCompose(error -> client.abortMultipartUpload(abort -> abort
                    .bucket(bucket).key(objectKey).uploadId(upload.uploadId()))
                .<Void>handle((aborted, abortError) -> {
                  throw new CompletionException(cause(error));
                })));
  }

  /**
   * The parts of one multipart upload, sent by {@link #PARALLEL_PARTS} chains that each take
   * the next part not yet taken: parallel, yet one large entry holds a bounded number of
   * connections and part bodies. After a failure no new part is started.
   */
  private final class Parts {
    private final String objectKey;
    private final String uploadId;
    private final long length;
    private final Slices slices;
    private final CompletedPart[] done;
    private final AtomicInteger next = new AtomicInteger();
    private volatile boolean failed;

    Parts(String objectKey, String uploadId, long length, Slices slices) {
      this.objectKey = objectKey;
      this.uploadId = uploadId;
      this.length = length;
      this.slices = slices;
      this.done = new CompletedPart[(int) ((length + partBytes - 1) / partBytes)];
    }

    /** Uploads every part, then completes the upload; fails when any part failed. */
    CompletableFuture<Void> upload() {
      CompletableFuture<?>[] chains =
          new CompletableFuture<?>[Math.min(PARALLEL_PARTS, done.length)];
      Arrays.setAll(chains, chain -> uploadFromNext());
      return CompletableFuture.allOf(chains)
          .thenCompose(all -> client.completeMultipartUpload(complete -> complete.bucket(bucket)
              .key(objectKey).uploadId(uploadId)
              .multipartUpload(upload -> upload.parts(done))))
          .thenApply(response -> null);
    }

    /** Uploads the next part not yet taken, then the next, until none is left or one failed. */
    private CompletableFuture<Void> uploadFromNext() {
      int index = next.getAndIncrement();
      if (index >= done.length || failed) {
        return CompletableFuture.completedFuture(null);
      }
      int partNumber = index + 1;
      long offset = (long) index * partBytes;
      long count = Math.min(partBytes, length - offset);
      return client.uploadPart(part -> part.bucket(bucket).key(objectKey).uploadId(uploadId)
                  .partNumber(partNumber).contentLength(count),
              slices.slice(offset, count))
          .whenComplete((response, error) -> {
            if (error != null) {
              failed = true;
            }
          })
          .thenCompose(response -> {
            done[index] = CompletedPart.builder().partNumber(partNumber).eTag(response.eTag())
                .build();
            return uploadFromNext();
          });
    }
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
    String value = ConfigValues.readSecret(field, file).trim();
    if (value.isEmpty()) {
      throw new IOException(field + ": " + file + " is empty");
    }
    return value;
  }
}
