package io.edgecache.extproc.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * A real Redis Cluster of three masters (no replicas) on free loopback ports, formed the way
 * {@code redis-cli --cluster create} does it but without redis-cli: each node is given a third
 * of the slots, the first meets the others, and the cluster is ready when every node reports
 * {@code cluster_state:ok}. Slots are assigned with CLUSTER ADDSLOTS, not ADDSLOTSRANGE, so
 * the embedded Redis 6.2 fallback forms it too.
 */
public final class RedisCluster implements AutoCloseable {

  private static final int SLOTS = 16384;
  private static final int MASTERS = 3;
  private static final Duration READY_DEADLINE = Duration.ofSeconds(30);

  private final Path directory;
  private final List<RedisProcess> nodes;

  private RedisCluster(Path directory, List<RedisProcess> nodes) {
    this.directory = directory;
    this.nodes = nodes;
  }

  /** Starts and forms the cluster; fails, leaving nothing running, if it is not ok in time. */
  public static RedisCluster start() throws IOException, InterruptedException {
    Path executable = RedisExecutable.find();
    Path directory = Files.createTempDirectory("redis-cluster-");
    List<RedisProcess> nodes = new ArrayList<>();
    RedisCluster cluster = new RedisCluster(directory, nodes);
    try {
      for (int i = 0; i < MASTERS; i++) {
        nodes.add(RedisProcess.start(executable, List.of("--cluster-enabled", "yes",
            "--cluster-config-file", directory.resolve("nodes-" + i + ".conf").toString(),
            "--dir", directory.toString())));
      }
      cluster.form();
      return cluster;
    } catch (IOException | InterruptedException | RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  /** The seed URI a cluster client starts from: the first node. */
  public String uri() {
    return nodes.get(0).uri();
  }

  /** Every node's URI, in the order their slot ranges come. */
  public List<String> nodeUris() {
    return nodes.stream().map(RedisProcess::uri).toList();
  }

  /** The index of the node serving {@code slot}, as {@link #start()} assigned them. */
  public int nodeServing(int slot) {
    return slot * MASTERS / SLOTS;
  }

  /** Kills node {@code index}, leaving its slots served by nobody. */
  public void kill(int index) throws InterruptedException {
    nodes.get(index).stop();
  }

  @Override
  public void close() {
    nodes.forEach(RedisProcess::close);
    try (Stream<Path> files = Files.walk(directory)) {
      files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
    } catch (IOException e) {
      // a temp directory left behind harms nothing
    }
  }

  private void form() throws IOException, InterruptedException {
    for (int i = 0; i < MASTERS; i++) {
      int from = SLOTS * i / MASTERS;
      int to = SLOTS * (i + 1) / MASTERS;
      List<String> command = new ArrayList<>(List.of("CLUSTER", "ADDSLOTS"));
      IntStream.range(from, to).mapToObj(String::valueOf).forEach(command::add);
      nodes.get(i).command(command.toArray(String[]::new));
    }
    for (RedisProcess node : nodes.subList(1, nodes.size())) {
      nodes.get(0).command("CLUSTER", "MEET", "127.0.0.1", String.valueOf(node.port()));
    }
    long deadline = System.nanoTime() + READY_DEADLINE.toNanos();
    for (RedisProcess node : nodes) {
      while (!node.command("CLUSTER", "INFO").contains("cluster_state:ok")) {
        if (System.nanoTime() > deadline) {
          throw new IOException("the cluster was not ok within " + READY_DEADLINE
              + " on port " + node.port());
        }
        Thread.sleep(20); // polling readiness, bounded by the deadline
      }
    }
  }
}
