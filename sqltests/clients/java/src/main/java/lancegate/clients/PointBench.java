package lancegate.clients;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Prepared point queries through pgjdbc, for sqltests/point_bench_test.go: {@code SELECT id, name FROM
 * bench_points WHERE id = ?} with random ids, past pgjdbc's prepare threshold (server-side prepared,
 * binary results), against the server in PGHOST/PGPORT (database and user in PGDATABASE/PGUSER).
 * Prints {@code result p50_us=… p99_us=… qps=…} over BENCH_QUERIES timed queries after a warm-up, and
 * exits non-zero when a query returns the wrong row.
 */
public final class PointBench {
  private PointBench() {}

  public static void main(String[] args) throws Exception {
    String host = System.getenv().getOrDefault("PGHOST", "127.0.0.1");
    String port = System.getenv().getOrDefault("PGPORT", "5433");
    String db = System.getenv().getOrDefault("PGDATABASE", "lancegate");
    String user = System.getenv().getOrDefault("PGUSER", "lancegate");
    int rows = Integer.parseInt(System.getenv().getOrDefault("BENCH_ROWS", "10000"));
    int queries = Integer.parseInt(System.getenv().getOrDefault("BENCH_QUERIES", "1000"));
    String url = "jdbc:postgresql://" + host + ":" + port + "/" + db + "?user=" + user + "&sslmode=disable";
    SplittableRandom rnd = new SplittableRandom(42);
    try (Connection c = DriverManager.getConnection(url);
        PreparedStatement ps = c.prepareStatement("SELECT id, name FROM bench_points WHERE id = ?")) {
      int warmup = Math.max(10, queries / 10);
      long[] took = new long[queries];
      for (int i = -warmup; i < queries; i++) {
        long id = rnd.nextInt(rows);
        long start = System.nanoTime();
        ps.setLong(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next() || rs.getLong(1) != id || !("item" + id).equals(rs.getString(2)) || rs.next()) {
            System.out.println("wrong row for id " + id);
            System.exit(1);
          }
        }
        if (i >= 0) {
          took[i] = System.nanoTime() - start;
        }
      }
      long total = Arrays.stream(took).sum();
      Arrays.sort(took);
      System.out.printf("result p50_us=%.1f p99_us=%.1f qps=%.1f%n",
          took[queries / 2] / 1e3, took[Math.min(queries - 1, queries * 99 / 100)] / 1e3, queries / (total / 1e9));
    }
  }
}
