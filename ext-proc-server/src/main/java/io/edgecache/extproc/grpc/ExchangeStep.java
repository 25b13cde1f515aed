package io.edgecache.extproc.grpc;

/** Where an exchange stands; each ext_proc message and continuation is judged against it. */
enum ExchangeStep {
  AWAIT_REQUEST_HEADERS,
  /** Memory missed; waiting for the tiers below. */
  LOOKING_DOWN,
  /** Collapsed behind another request's fetch of the same key (here or on another node). */
  WAITING_FOR_LEADER,
  /** An HTTP PURGE submitted to the control plane, awaiting its verdict. */
  PURGING,
  AWAIT_RESPONSE_HEADERS,
  RESPONSE_BODY,
  /** Nothing left to decide; late body or trailer messages are still answered. */
  DONE,
  /** The stream was failed or reset: nothing more is sent. */
  CLOSED;

  /** Whether a response body message would arrive before its headers were handled. */
  boolean beforeResponseHeaders() {
    return this == AWAIT_REQUEST_HEADERS || this == LOOKING_DOWN || this == WAITING_FOR_LEADER
        || this == PURGING || this == AWAIT_RESPONSE_HEADERS;
  }
}
