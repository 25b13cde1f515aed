/**
 * The tiers below memory, each a {@link io.edgecache.extproc.store.tier.Tier}: L2 disk
 * ({@code DiskTier}), L3 Redis ({@code RedisTier}), L4 S3 ({@code S3Tier}), opened from the
 * configuration by {@link io.edgecache.extproc.store.tier.ConfiguredTiers}. What only some
 * tiers can do is offered as capabilities ({@code EntryFiles}, {@code EntryObjects},
 * {@code SharedTags}) rather than found by testing for a concrete class.
 *
 * <p>Threading: every call is asynchronous and never blocks its caller; disk I/O runs on the
 * disk tier's own threads, Redis on Lettuce's, S3 on the AWS SDK's, and futures complete there.
 * Bounding the wait is the caller's ({@code store.TierLane}).
 */
package io.edgecache.extproc.store.tier;
