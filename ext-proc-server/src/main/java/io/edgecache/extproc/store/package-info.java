/**
 * The tiered store: {@link io.edgecache.extproc.store.TieredStore} routes entries by size over
 * L1 (memory, {@code cache.L1Store}) and the tiers below it ({@code store.tier}), promotes what a
 * lower tier finds, and keeps a tier's outage, slowness or corruption a miss, never a failure.
 * {@link io.edgecache.extproc.store.EntryCodec} is the one binary form of an entry below L1.
 *
 * <p>Threading: L1 is written on the caller's thread; each lower tier sits behind a
 * {@code TierLane} (a time budget and a {@link io.edgecache.extproc.store.CircuitBreaker} per
 * call, one writer thread draining a bounded queue), so a caller never waits on a tier beyond
 * its budget. Lookups complete on the tiers' own threads; callers move back to their executor.
 *
 * <p>Public: what the exchange, purges, the body endpoint and the tiers need (the store, the
 * entry format, {@link io.edgecache.extproc.store.PurgeHooks}, figures for {@code /stats}).
 * How writes are queued and large bodies moved ({@code TierLane}, {@code PendingWrite},
 * {@code LargeBodies}) stays package-private.
 */
package io.edgecache.extproc.store;
