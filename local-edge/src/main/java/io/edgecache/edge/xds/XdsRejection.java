package io.edgecache.edge.xds;

/** A pushed resource local-edge cannot apply; its message becomes the NACK's error_detail. */
final class XdsRejection extends Exception {
  XdsRejection(String message) {
    super(message);
  }
}
