package io.edgecache.extproc.store;

import io.edgecache.extproc.store.tier.DiskTier;
import io.edgecache.extproc.store.tier.EntryObjects;

/** Where the body of a large entry can be streamed from: this node's disk, or S3. */
public sealed interface BodyLocation {

  EntryHead head();

  /** An entry file opened on this node's disk; whoever streams it closes it. */
  record OnDisk(DiskTier.EntryFile file) implements BodyLocation {
    @Override
    public EntryHead head() {
      return file.head();
    }
  }

  /** An object in S3 whose body starts at {@code layout.bodyOffset()}. */
  record InS3(EntryObjects s3, String key, EntryCodec.Layout layout) implements BodyLocation {
    @Override
    public EntryHead head() {
      return layout.head();
    }
  }
}
