package io.edgecache.extproc.store.tier;

import io.edgecache.extproc.config.TiersConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Opens the tiers below memory that a configuration enables, fastest first. */
public final class ConfiguredTiers {

  /** An open tier, the size classes it holds and the time budget of each call to it. */
  public record Configured(Tier tier, boolean holdsSmall, boolean holdsLarge, Duration budget) {}

  private ConfiguredTiers() {}

  /**
   * Disk (small and large entries), Redis (small) and S3 (large), as enabled. Fails only for
   * what configuration must fix (an unusable disk path, unreadable credential files), closing
   * what it opened; an unreachable Redis or S3 is a runtime outage.
   */
  public static List<Configured> open(TiersConfig config) throws IOException {
    List<Configured> tiers = new ArrayList<>();
    try {
      if (config.disk().enabled()) {
        tiers.add(new Configured(DiskTier.open(config.disk().path(), config.disk().maxBytes()),
            true, true, config.disk().timeout()));
      }
      if (config.redis().enabled()) {
        tiers.add(new Configured(RedisTier.connect(config.redis()), true, false,
            config.redis().timeout()));
      }
      if (config.s3().enabled()) {
        tiers.add(new Configured(S3Tier.create(config.s3()), false, true, config.s3().timeout()));
      }
    } catch (IOException | RuntimeException e) {
      tiers.forEach(opened -> opened.tier().close());
      throw e;
    }
    return tiers;
  }
}
