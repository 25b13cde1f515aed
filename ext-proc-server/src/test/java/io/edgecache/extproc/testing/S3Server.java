package io.edgecache.extproc.testing;

import io.edgecache.extproc.config.TiersConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;

/** S3Proxy in-process on a free loopback port over an in-memory blob store: a real S3 server. */
public final class S3Server implements AutoCloseable {

  public static final String ACCESS_KEY = "edgecache-test";
  public static final String SECRET_KEY = "edgecache-test-secret";

  private final BlobStoreContext context;
  private final S3Proxy proxy;

  private S3Server(BlobStoreContext context, S3Proxy proxy) {
    this.context = context;
    this.proxy = proxy;
  }

  /** Starts the server with {@code bucket} created. */
  public static S3Server start(String bucket) throws Exception {
    BlobStoreContext context = ContextBuilder.newBuilder("transient")
        .credentials(ACCESS_KEY, SECRET_KEY)
        .overrides(new Properties())
        .build(BlobStoreContext.class);
    context.getBlobStore().createContainerInLocation(null, bucket);
    S3Proxy proxy = S3Proxy.builder()
        .blobStore(context.getBlobStore())
        .endpoint(URI.create("http://127.0.0.1:0"))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
        .build();
    proxy.start();
    return new S3Server(context, proxy);
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + proxy.getPort());
  }

  /** Writes this server's keys to files in {@code dir}, the way the tier reads them. */
  public static TiersConfig.Credentials credentials(Path dir) throws IOException {
    Path id = Files.writeString(dir.resolve("access-key-id"), ACCESS_KEY + "\n");
    Path secret = Files.writeString(dir.resolve("secret-access-key"), SECRET_KEY + "\n");
    return new TiersConfig.Credentials(TiersConfig.Credentials.Source.FILES, id, secret);
  }

  /** The store behind the server, to check what S3 calls left behind. */
  public BlobStore blobStore() {
    return context.getBlobStore();
  }

  @Override
  public void close() {
    try {
      proxy.stop();
    } catch (Exception e) {
      throw new IllegalStateException("S3Proxy did not stop", e);
    } finally {
      context.close();
    }
  }
}
