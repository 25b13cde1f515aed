/**
 * Purges on this node: {@link io.edgecache.extproc.purge.PurgeAgent} follows the control
 * plane's purge stream, {@link io.edgecache.extproc.purge.NodePurger} applies each purge to
 * memory at once and, through {@link io.edgecache.extproc.purge.PurgeScreen}, screens what is
 * read back from the tiers below, which cannot be enumerated.
 * {@link io.edgecache.extproc.purge.HitGate} stops hits while the node may have missed a purge;
 * {@link io.edgecache.extproc.purge.EdgePurges} forwards an edge {@code PURGE} to the control
 * plane.
 *
 * <p>Threading: purges are applied one at a time, in stream order, on gRPC's threads. The hit
 * gate (read on every request) and the screen (read on every lower-tier read) never lock:
 * each is an immutable value behind a volatile field, replaced whole. Public: what
 * {@code CacheNode} wires together; a purge's rule ({@code PurgeRule}) and the tag index of
 * memory ({@code TagIndex}) are package-private.
 */
package io.edgecache.extproc.purge;
