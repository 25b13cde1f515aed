/**
 * What is cached and under which key: {@link io.edgecache.extproc.cache.CacheKey} (the primary
 * key), {@link io.edgecache.extproc.cache.CachedResponse} (a compact stored response whose
 * header lines are kept in the wire form a hit sends), {@link io.edgecache.extproc.cache.L1Store}
 * (the memory tier, a byte-bounded Caffeine cache of a key's Vary variants) and
 * {@link io.edgecache.extproc.cache.PartialStore} (206 parts until they make a whole).
 *
 * <p>Threading: entries are immutable; an update replaces a key's variants atomically through
 * Caffeine's {@code compute}, so readers on any thread see a whole set or none. Public because
 * the store, policy, purges and the exchange all handle entries; how variants are held
 * ({@code Variants}) is package-private.
 */
package io.edgecache.extproc.cache;
