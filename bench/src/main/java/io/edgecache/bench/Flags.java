package io.edgecache.bench;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code --name value} command-line flags for the benchmark mains. Every flag has a default;
 * after reading them a main calls {@link #rejectUnknown()} so a misspelled flag fails loudly
 * instead of silently measuring the default.
 */
public final class Flags {

  private final String usage;
  private final Map<String, String> values;
  private final Set<String> read = new HashSet<>();

  private Flags(String usage, Map<String, String> values) {
    this.usage = usage;
    this.values = values;
  }

  public static Flags parse(String[] args, String usage) {
    Map<String, String> values = new HashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --name value pairs; usage: " + usage);
      }
      values.put(args[i].substring(2), args[i + 1]);
    }
    return new Flags(usage, values);
  }

  public String string(String name, String fallback) {
    read.add(name);
    return values.getOrDefault(name, fallback);
  }

  public int integer(String name, int fallback) {
    return Integer.parseInt(string(name, Integer.toString(fallback)));
  }

  public double decimal(String name, double fallback) {
    return Double.parseDouble(string(name, Double.toString(fallback)));
  }

  /** A comma-separated list. */
  public List<String> list(String name, String fallback) {
    return Arrays.asList(string(name, fallback).split(","));
  }

  public void rejectUnknown() {
    for (String name : values.keySet()) {
      if (!read.contains(name)) {
        throw new IllegalArgumentException("unknown flag --" + name + "; usage: " + usage);
      }
    }
  }
}
