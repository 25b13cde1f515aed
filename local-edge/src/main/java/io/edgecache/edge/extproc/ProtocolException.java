package io.edgecache.edge.extproc;

/**
 * The ext_proc server sent something Envoy would treat as a failed stream: an answer for a
 * message that was not sent, an answer of the wrong kind, or a mutation that cannot be applied.
 */
public class ProtocolException extends Exception {
  public ProtocolException(String message) {
    super(message);
  }
}
