package io.edgecache.controlplane.purge;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.edgecache.proto.purge.v1.WarmProgress;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Prefetches URLs through the edge listener (Envoy or local-edge), so they are fetched, stored
 * and routed exactly as client requests would be: each is a GET to the edge with the URL's
 * host in {@code Host}. A few at a time, so warming never floods the origin.
 */
final class Warmer implements AutoCloseable {

  private static final int PARALLELISM = 4;
  private static final int TIMEOUT_MILLIS = 15_000;
  private static final int MAX_ERRORS_KEPT = 20;
  private static final int MAX_ERROR_CHARS = 300;
  /** URLs queued or being fetched, over all jobs; a job that would go beyond gets a 429. */
  static final int MAX_QUEUED_URLS = 10_000;
  /** How long a finished job's progress stays readable. */
  static final Duration FINISHED_JOB_RETENTION = Duration.ofMinutes(10);

  /** One warming job's counters; errors are kept for the first few failures. */
  private static final class Job {
    final String id;
    final int total;
    final AtomicInteger done = new AtomicInteger();
    final AtomicInteger failed = new AtomicInteger();
    final List<String> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** System.nanoTime() when its last URL finished; meaningful once finished. */
    volatile long finishedAt;

    Job(String id, int total) {
      this.id = id;
      this.total = total;
    }

    boolean finished() {
      return done.get() + failed.get() == total;
    }

    WarmProgress progress() {
      int finished = done.get() + failed.get();
      return WarmProgress.newBuilder().setWarmId(id).setTotal(total).setDone(done.get())
          .setFailed(failed.get()).setComplete(finished == total).addAllErrors(errors).build();
    }
  }

  private final InetSocketAddress edge;
  private final ExecutorService fetchers = Executors.newFixedThreadPool(PARALLELISM,
      new ThreadFactoryBuilder().setNameFormat("warmer").setDaemon(true).build());
  private final Map<String, Job> jobs = new ConcurrentHashMap<>();
  private final AtomicInteger nextId = new AtomicInteger(1);
  private final AtomicInteger queued = new AtomicInteger();

  Warmer(URI edge) {
    this.edge = new InetSocketAddress(edge.getHost(), edge.getPort());
  }

  /**
   * Starts fetching {@code urls}; returns the job's initial progress. 429 when the queue
   * cannot take them all; finished jobs older than the retention are forgotten here.
   */
  WarmProgress start(List<URI> urls) throws AdminError {
    expireFinishedJobs();
    if (queued.addAndGet(urls.size()) > MAX_QUEUED_URLS) {
      queued.addAndGet(-urls.size());
      throw AdminError.rateLimited("warm queue full (" + MAX_QUEUED_URLS
          + " URLs queued or in flight); retry when running jobs finish");
    }
    Job job = new Job("w" + nextId.getAndIncrement(), urls.size());
    jobs.put(job.id, job);
    for (URI url : urls) {
      fetchers.execute(() -> {
        try {
          int status = fetch(url);
          // A 4xx or 5xx warmed nothing the URL names; the caller must hear of it.
          if (status >= 400) {
            fail(job, url + ": status " + status);
          } else {
            job.done.incrementAndGet();
          }
        } catch (IOException e) {
          fail(job, url + ": " + e.getMessage());
        } finally {
          queued.decrementAndGet();
          if (job.finished()) {
            job.finishedAt = System.nanoTime();
          }
        }
      });
    }
    return job.progress();
  }

  private void expireFinishedJobs() {
    long cutoff = System.nanoTime() - FINISHED_JOB_RETENTION.toNanos();
    jobs.values().removeIf(job -> job.finished() && job.finishedAt != 0 && job.finishedAt - cutoff < 0);
  }

  /** The job's progress, or null when there is no such job. */
  WarmProgress progress(String id) {
    expireFinishedJobs();
    Job job = jobs.get(id);
    return job == null ? null : job.progress();
  }

  private static void fail(Job job, String error) {
    if (job.errors.size() < MAX_ERRORS_KEPT) {
      // Kept for the retention with every job's: bounded, as URLs may be long.
      job.errors.add(error.length() <= MAX_ERROR_CHARS ? error
          : error.substring(0, MAX_ERROR_CHARS) + "...");
    }
    job.failed.incrementAndGet();
  }

  /** One GET through the edge, body read and discarded; the response status. */
  private int fetch(URI url) throws IOException {
    String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
    String target = url.getRawQuery() == null ? path : path + "?" + url.getRawQuery();
    try (Socket socket = new Socket()) {
      socket.connect(edge, TIMEOUT_MILLIS);
      socket.setSoTimeout(TIMEOUT_MILLIS);
      OutputStream out = socket.getOutputStream();
      out.write(("GET " + target + " HTTP/1.1\r\nHost: " + url.getRawAuthority()
          + "\r\nUser-Agent: edgecache-warmer\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      String statusLine = readLine(in);
      String[] parts = statusLine.split(" ");
      if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
        throw new IOException("not an HTTP response: '" + statusLine + "'");
      }
      in.transferTo(OutputStream.nullOutputStream()); // the edge stores what it reads to the end
      try {
        return Integer.parseInt(parts[1]);
      } catch (NumberFormatException e) {
        throw new IOException("bad status line: '" + statusLine + "'", e);
      }
    }
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int c;
    while ((c = in.read()) != -1 && c != '\n') {
      if (c != '\r') {
        line.append((char) c);
      }
    }
    return line.toString();
  }

  @Override
  public void close() {
    fetchers.shutdownNow();
  }
}
