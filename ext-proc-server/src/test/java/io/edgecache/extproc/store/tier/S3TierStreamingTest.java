package io.edgecache.extproc.store.tier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.cache.ReuseRules;
import io.edgecache.extproc.config.TiersConfig;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.store.CorruptEntryException;
import io.edgecache.extproc.store.EntryCodec;
import io.edgecache.extproc.store.EntryHead;
import io.edgecache.extproc.testing.PatternBytes;
import io.edgecache.extproc.testing.S3Server;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * S3Tier against a real S3 server (S3Proxy): entries larger than the heap should hold are
 * uploaded from a file in parts, read back head only, as a stream or as a byte range; small
 * ones still come back whole from one GET.
 */
class S3TierStreamingTest {

  private static final String BUCKET = "edgecache-test";
  private static final String PREFIX = "streaming/";
  /** S3's smallest part size, which S3Proxy enforces too. */
  private static final long PART_BYTES = 5L << 20;
  /** Four whole parts and a short fifth: more parts than are uploaded at once. */
  private static final long LARGE_BODY = 4 * PART_BYTES + 123_456;
  private static final Duration KEEP = Duration.ofHours(1);

  @TempDir static Path credentials;
  private static S3Server s3;
  /** One for all tests, as in a node: each test uses its own keys. */
  private static S3Tier tier;

  @TempDir Path dir;

  @BeforeAll
  static void start() throws Exception {
    s3 = S3Server.start(BUCKET);
    tier = S3Tier.create(new TiersConfig.S3(true, BUCKET, PREFIX, s3.endpoint(), "us-east-1",
        true, S3Server.credentials(credentials), PART_BYTES, Duration.ofSeconds(30)));
  }

  @AfterAll
  static void stop() {
    tier.close();
    s3.close();
  }

  @Test
  void largeEntryUploadedInPartsFromAFileReadsHeadOnlyWhenItsBodyIsNotWanted() throws Exception {
    EntryHead head = head("/large/head", headers(0), LARGE_BODY);
    Path file = write(head);
    await(tier.putFile(head.key(), file, Files.size(file), KEEP));

    assertTrue(etag(head.key()).endsWith("-5\""), "uploaded as 5 parts: " + etag(head.key()));
    Found found = await(tier.get(head.key(), 1 << 20)).orElseThrow();
    assertFalse(found.isWhole());
    assertSameHead(head, found.layout().head());
    assertEquals(layoutOf(file).bodyOffset(), found.layout().bodyOffset());
    assertEquals(Files.size(file), found.layout().totalLength());
  }

  @Test
  void largeEntryReadsWholeWhenItsBodyIsWanted() throws Exception {
    EntryHead head = head("/large/whole", headers(0), LARGE_BODY);
    Path file = write(head);
    await(tier.putFile(head.key(), file, Files.size(file), KEEP));

    Found found = await(tier.get(head.key(), LARGE_BODY)).orElseThrow();
    assertTrue(found.isWhole());
    assertArrayEquals(Files.readAllBytes(file), found.whole());
    assertEquals(LARGE_BODY, EntryCodec.decode(found.whole(), head.key()).body().size());
  }

  @Test
  void smallEntryComesBackWholeFromTheFirstGet() throws Exception {
    EntryHead head = head("/small", headers(0), 10_000);
    byte[] encoded = Files.readAllBytes(write(head));
    await(tier.put(head.key(), encoded, KEEP));

    // wholeUpTo 0 would leave a larger entry's body behind: whole means one GET read it all
    Found found = await(tier.get(head.key(), 0)).orElseThrow();
    assertTrue(found.isWhole());
    assertArrayEquals(encoded, found.whole());
  }

  @Test
  void headLongerThanTheProbeIsReadInFull() throws Exception {
    EntryHead head = head("/long-head", headers(S3Tier.PROBE_BYTES + 10_000), 300_000);
    Path file = write(head);
    await(tier.putFile(head.key(), file, Files.size(file), KEEP));

    Found headOnly = await(tier.get(head.key(), 1_000)).orElseThrow();
    assertFalse(headOnly.isWhole());
    assertTrue(headOnly.layout().bodyOffset() > S3Tier.PROBE_BYTES);
    assertSameHead(head, headOnly.layout().head());
    Found whole = await(tier.get(head.key(), Long.MAX_VALUE)).orElseThrow();
    assertArrayEquals(Files.readAllBytes(file), whole.whole());
  }

  @Test
  void rangeAcrossAPartBoundaryStreamsExactlyThoseBytes() throws Exception {
    EntryHead head = head("/large/range", headers(0), LARGE_BODY);
    Path file = write(head);
    await(tier.putFile(head.key(), file, Files.size(file), KEEP));

    long first = PART_BYTES - 1_000;
    long last = 2 * PART_BYTES + 70_000;
    byte[] streamed = collect(await(tier.openRange(head.key(), first, last)));
    assertArrayEquals(slice(file, first, last), streamed);
  }

  @Test
  void cancelledRangeStreamsGiveTheirConnectionsBack() throws Exception {
    EntryHead head = head("/large/cancel", headers(0), LARGE_BODY);
    Path file = write(head);
    await(tier.putFile(head.key(), file, Files.size(file), KEEP));

    // more than the client's 50 connections: a stream that kept its own would starve the rest
    for (int i = 0; i < 60; i++) {
      Publisher<ByteBuffer> body = await(tier.openRange(head.key(), 0, Files.size(file) - 1));
      assertTrue(firstChunkThenCancel(body) > 0);
    }
    assertTrue(await(tier.get(head.key(), 0)).isPresent());
  }

  @Test
  void encodedStreamHoldsTheWholeFile() throws Exception {
    EntryHead head = head("/large/stream", headers(0), LARGE_BODY);
    Path file = write(head);
    await(tier.putFile(head.key(), file, Files.size(file), KEEP));

    try (InputStream in = await(tier.openEncoded(head.key()))) {
      assertArrayEquals(Files.readAllBytes(file), in.readAllBytes());
    }
  }

  @Test
  void missingEntryIsAbsent() throws Exception {
    assertEquals(Optional.empty(), await(tier.get("/missing", Long.MAX_VALUE)));
    ExecutionException failure = assertThrows(ExecutionException.class,
        () -> await(tier.openEncoded("/missing")));
    assertInstanceOf(NoSuchKeyException.class, failure.getCause());
  }

  @Test
  void headOnlyReadOfAnEntryStoredUnderAnotherKeyFailsAsCorrupt() throws Exception {
    EntryHead head = head("/other", headers(0), 300_000);
    await(tier.put("/this", Files.readAllBytes(write(head)), KEEP));

    ExecutionException failure = assertThrows(ExecutionException.class,
        () -> await(tier.get("/this", 0)));
    assertInstanceOf(CorruptEntryException.class, failure.getCause());
  }

  @Test
  void failedMultipartUploadIsAbortedAndLeavesNoObject() throws Exception {
    EntryHead head = head("/large/short-file", headers(0), LARGE_BODY);
    Path file = write(head);

    // the file holds fewer bytes than announced: reading the last part fails
    ExecutionException failure = assertThrows(ExecutionException.class,
        () -> await(tier.putFile(head.key(), file, Files.size(file) + PART_BYTES, KEEP)));
    assertFalse(failure.getCause() instanceof UnsupportedOperationException);
    assertEquals(List.of(), s3.blobStore().listMultipartUploads(BUCKET));
    assertEquals(Optional.empty(), await(tier.get(head.key(), 0)));
  }

  private static <T> T await(CompletableFuture<T> future) throws Exception {
    return future.get(60, TimeUnit.SECONDS);
  }

  private static EntryHead head(String key, HeaderList headers, long bodyLength) {
    return new EntryHead(key, 200, headers, Instant.parse("2025-01-02T03:04:05.678Z"),
        Duration.ofSeconds(3), Duration.ofHours(1),
        new ReuseRules(Duration.ofSeconds(30), Duration.ofMinutes(5), false, false, true),
        Map.of("accept-encoding", "gzip"), bodyLength);
  }

  /** Response headers, with one of {@code padding} bytes when a long head is wanted. */
  private static HeaderList headers(int padding) {
    List<HeaderList.Field> fields = List.of(
        new HeaderList.Field("content-type", "application/octet-stream"),
        new HeaderList.Field("cache-control", "max-age=3600"),
        new HeaderList.Field("x-padding", "p".repeat(padding)));
    return HeaderList.of(padding == 0 ? fields.subList(0, 2) : fields);
  }

  /** Encodes an entry with a generated body into a file, never holding the body in the heap. */
  private Path write(EntryHead head) throws IOException {
    Path file = Files.createTempFile(dir, "entry", ".bin");
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
      EntryCodec.write(out, head, new PatternBytes(head.bodyLength()));
    }
    return file;
  }

  private static EntryCodec.Layout layoutOf(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return EntryCodec.readHead(in);
    }
  }

  private static byte[] slice(Path file, long first, long last) throws IOException {
    ByteBuffer bytes = ByteBuffer.allocate((int) (last - first + 1));
    try (FileChannel channel = FileChannel.open(file)) {
      while (bytes.hasRemaining()) {
        channel.read(bytes, first + bytes.position());
      }
    }
    return bytes.array();
  }

  /** HeaderList has no equals of its own: compares the head field by field. */
  private static void assertSameHead(EntryHead expected, EntryHead actual) {
    assertEquals(expected.headers().fields(), actual.headers().fields());
    assertEquals(expected, new EntryHead(actual.key(), actual.status(), expected.headers(),
        actual.responseTime(), actual.correctedInitialAge(), actual.freshnessLifetime(),
        actual.rules(), actual.varyValues(), actual.bodyLength()));
  }

  private String etag(String key) {
    return s3.blobStore().blobMetadata(BUCKET, PREFIX + KeyDigest.sha256Hex(key)).getETag();
  }

  /** Every byte the publisher sends, requested all at once. */
  private static byte[] collect(Publisher<ByteBuffer> publisher) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CompletableFuture<byte[]> done = new CompletableFuture<>();
    publisher.subscribe(new Subscriber<ByteBuffer>() {
      @Override
      public void onSubscribe(Subscription subscription) {
        subscription.request(Long.MAX_VALUE);
      }

      @Override
      public void onNext(ByteBuffer chunk) {
        byte[] bytes = new byte[chunk.remaining()];
        chunk.get(bytes);
        out.writeBytes(bytes);
      }

      @Override
      public void onError(Throwable error) {
        done.completeExceptionally(error);
      }

      @Override
      public void onComplete() {
        done.complete(out.toByteArray());
      }
    });
    return await(done);
  }

  /** Takes one chunk and cancels, as a client that went away would; returns its size. */
  private static int firstChunkThenCancel(Publisher<ByteBuffer> publisher) throws Exception {
    CompletableFuture<Integer> first = new CompletableFuture<>();
    publisher.subscribe(new Subscriber<ByteBuffer>() {
      private Subscription subscription;

      @Override
      public void onSubscribe(Subscription subscription) {
        this.subscription = subscription;
        subscription.request(1);
      }

      @Override
      public void onNext(ByteBuffer chunk) {
        subscription.cancel();
        first.complete(chunk.remaining());
      }

      @Override
      public void onError(Throwable error) {
        first.completeExceptionally(error);
      }

      @Override
      public void onComplete() {
        first.completeExceptionally(new IllegalStateException("ended before a chunk"));
      }
    });
    return await(first);
  }
}
