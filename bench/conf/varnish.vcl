vcl 4.1;
# Varnish in front of the benchmark origin with the built-in VCL's behaviour: freshness from
# the origin's Cache-Control, "no-store" responses not cached. @ORIGIN_PORT@ is filled in by
# bench/run-all.sh.
backend origin {
  .host = "127.0.0.1";
  .port = "@ORIGIN_PORT@";
}
