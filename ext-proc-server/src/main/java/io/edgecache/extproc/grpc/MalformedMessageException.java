package io.edgecache.extproc.grpc;

/** An ext_proc message that breaks the protocol; the message says what and where. */
final class MalformedMessageException extends Exception {
  MalformedMessageException(String message) {
    super(message);
  }
}
