package io.edgecache.extproc.store;

import java.io.IOException;

/** Stored bytes that are not a whole, intact entry; the message says what is wrong. */
public final class CorruptEntryException extends IOException {
  public CorruptEntryException(String message) {
    super(message);
  }
}
