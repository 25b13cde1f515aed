package io.edgecache.extproc.body;

import io.edgecache.extproc.telemetry.CacheMetrics;
import java.util.concurrent.atomic.LongAdder;

/** What the body endpoint served, and what it could not or would not. */
public final class BodyStats implements CacheMetrics.BodyFigures {

  private final LongAdder fromDisk = new LongAdder();
  private final LongAdder fromS3 = new LongAdder();
  private final LongAdder missing = new LongAdder();
  private final LongAdder refused = new LongAdder();
  private final LongAdder bytes = new LongAdder();

  void served(StoredBody body, long length) {
    (body instanceof S3Body ? fromS3 : fromDisk).increment();
    bytes.add(length);
  }

  void missing() {
    missing.increment();
  }

  void refused() {
    refused.increment();
  }

  @Override
  public long servedFromDisk() {
    return fromDisk.sum();
  }

  @Override
  public long servedFromS3() {
    return fromS3.sum();
  }

  @Override
  public long missingBodies() {
    return missing.sum();
  }

  @Override
  public long refusedRequests() {
    return refused.sum();
  }

  @Override
  public long bytesServed() {
    return bytes.sum();
  }
}
