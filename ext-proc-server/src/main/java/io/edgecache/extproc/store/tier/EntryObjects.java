package io.edgecache.extproc.store.tier;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import org.reactivestreams.Publisher;

/**
 * A remote tier whose large entries can be read as streams (S3): copied whole to this node's
 * disk, or a body range sent to a client.
 */
public interface EntryObjects {

  /** The whole encoded entry under {@code key} as a blocking stream the caller closes. */
  CompletableFuture<InputStream> openEncoded(String key);

  /** Bytes {@code first} to {@code last} (inclusive) of the encoded entry, with backpressure. */
  CompletableFuture<Publisher<ByteBuffer>> openRange(String key, long first, long last);
}
