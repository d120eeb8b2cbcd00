package lancegate.clients;

import com.pgvector.PGvector;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.postgresql.PGStatement;

/**
 * pgjdbc (with pgvector-java) against lancegate.
 *
 * <p>sqltests/clientsuite_test.go starts lancegate and runs {@code java -cp … lancegate.clients.JdbcSuite
 * PART…} with the server's address in PGHOST/PGPORT (user and database lancegate, trust). Each part
 * asserts its results; the first mismatch throws, the part is reported as FAIL and the process exits 1.
 *
 * <p>pgjdbc sends every statement with the extended protocol: Parse with typed OIDs (int8 for setLong,
 * varchar for setString, 0 for timestamps), unnamed until a statement has run prepareThreshold (5) times,
 * then a named statement with binary results; batches pipeline several Bind/Execute before one Sync.
 *
 * <p>Parts:
 *
 * <ul>
 *   <li>basic: connect, version, DDL, typed parameters, setString + ?::vector search, executeBatch,
 *       executions past prepareThreshold (binary results), RETURN_GENERATED_KEYS, transactions and
 *       savepoints, errors and recovery, column labels, setQueryTimeout
 *   <li>fetch_size: setFetchSize with autocommit off (Execute with maxRows, PortalSuspended)
 *   <li>pgvector: PGvector objects through setObject/getObject (pgjdbc looks the type up in pg_type)
 *   <li>metadata: DatabaseMetaData getSchemas/getTables/getColumns/getPrimaryKeys/getImportedKeys/
 *       getIndexInfo/getTypeInfo/getFunctions
 *   <li>result_metadata: ResultSetMetaData type names and nullability (pg_type / pg_attribute lookups)
 *   <li>numeric: a numeric(10,2) column with BigDecimal values
 * </ul>
 */
public final class JdbcSuite {
  private static final OffsetDateTime TS = OffsetDateTime.of(2024, 1, 2, 3, 4, 5, 250_000_000, ZoneOffset.UTC);

  private JdbcSuite() {}

  /** A mismatch between what lancegate answered and what PostgreSQL would. */
  static final class CheckFailed extends RuntimeException {
    CheckFailed(String msg) {
      super(msg);
    }
  }

  interface Part {
    void run() throws Exception;
  }

  interface Action {
    void run() throws Exception;
  }

  static void equal(Object got, Object want, String what) {
    if (!Objects.equals(got, want)) {
      throw new CheckFailed(what + ": got " + got + ", want " + want);
    }
    System.out.println("  ok: " + what + " = " + want);
  }

  static void check(boolean cond, String what) {
    if (!cond) {
      throw new CheckFailed(what);
    }
    System.out.println("  ok: " + what);
  }

  static void fails(String code, Action action, String what) throws Exception {
    try {
      action.run();
    } catch (SQLException e) {
      if (!code.equals(e.getSQLState())) {
        throw new CheckFailed(what + ": got SQLSTATE " + e.getSQLState() + " (" + e.getMessage() + "), want " + code);
      }
      System.out.println("  ok: " + what + " fails with " + code);
      return;
    }
    throw new CheckFailed(what + ": succeeded, want SQLSTATE " + code);
  }

  static Connection connect(String extra) throws SQLException {
    String host = System.getenv().getOrDefault("PGHOST", "127.0.0.1");
    String port = System.getenv().getOrDefault("PGPORT", "5433");
    String url = "jdbc:postgresql://" + host + ":" + port + "/lancegate?user=lancegate&sslmode=disable" + extra;
    return DriverManager.getConnection(url);
  }

  static void recreate(Connection c, String table, String columns) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("DROP TABLE IF EXISTS " + table);
      st.execute("CREATE TABLE " + table + " (" + columns + ")");
    }
  }

  static final String ITEMS =
      "id bigint NOT NULL, name text NOT NULL, qty integer, price double precision, created_at timestamptz, "
          + "active boolean, embedding vector(3)";

  /** Runs for tens of seconds unless cancelled (1.6e9 joined rows). */
  static final String LONG =
      "SELECT count(*) FROM generate_series(1, 40000) AS a(x) CROSS JOIN generate_series(1, 40000) AS b(y) WHERE x + y > 3";

  static List<Long> ids(ResultSet rs) throws SQLException {
    List<Long> out = new ArrayList<>();
    while (rs.next()) {
      out.add(rs.getLong(1));
    }
    return out;
  }

  static void basic() throws Exception {
    try (Connection c = connect("&prepareThreshold=5")) {
      DatabaseMetaData md = c.getMetaData();
      equal(md.getDatabaseProductName(), "PostgreSQL", "getDatabaseProductName");
      equal(md.getDatabaseMajorVersion() + "." + md.getDatabaseMinorVersion(), "15.20", "database version");
      recreate(c, "jd_items", ITEMS);

      String ins = "INSERT INTO jd_items VALUES (?, ?, ?, ?, ?, ?, ?::vector)";
      try (PreparedStatement ps = c.prepareStatement(ins)) {
        ps.setLong(1, 1);
        ps.setString(2, "it's");
        ps.setInt(3, 3);
        ps.setDouble(4, 1.5);
        ps.setObject(5, TS);
        ps.setBoolean(6, true);
        ps.setString(7, "[1,2,3]");
        equal(ps.executeUpdate(), 1, "executeUpdate count");
      }
      // Batch: several Bind/Execute pipelined before one Sync.
      try (PreparedStatement ps = c.prepareStatement(ins)) {
        for (int i = 2; i <= 9; i++) {
          ps.setLong(1, i);
          ps.setString(2, "n" + i);
          ps.setInt(3, i * 10000);
          ps.setDouble(4, i / 4.0);
          ps.setObject(5, TS.plusDays(i));
          ps.setBoolean(6, i % 2 == 0);
          ps.setString(7, "[" + i + "," + i + "," + i + "]");
          ps.addBatch();
        }
        int[] counts = ps.executeBatch();
        equal(Arrays.toString(counts), "[1, 1, 1, 1, 1, 1, 1, 1]", "executeBatch counts");
      }

      // Past prepareThreshold the statement is named and results are binary.
      try (PreparedStatement ps =
          c.prepareStatement("SELECT id, name, qty, price, created_at, active, embedding::text FROM jd_items WHERE id = ?")) {
        for (int i = 1; i <= 8; i++) {
          long id = 1 + (i % 3);
          ps.setLong(1, id);
          try (ResultSet rs = ps.executeQuery()) {
            check(rs.next(), "row " + id + " found (execution " + i + ")");
            equal(rs.getLong(1), id, "id (execution " + i + ")");
            equal(rs.getString(2), id == 1 ? "it's" : "n" + id, "name (execution " + i + ")");
            equal(rs.getInt(3), id == 1 ? 3 : (int) id * 10000, "qty (execution " + i + ")");
            equal(rs.getDouble(4), id == 1 ? 1.5 : id / 4.0, "price (execution " + i + ")");
            equal(rs.getObject(5, OffsetDateTime.class), id == 1 ? TS : TS.plusDays(id), "created_at (execution " + i + ")");
            equal(rs.getBoolean(6), id == 1 || id % 2 == 0, "active (execution " + i + ")");
            equal(rs.getString(7), "[" + (id == 1 ? "1,2,3" : id + "," + id + "," + id) + "]", "embedding (execution " + i + ")");
            check(!rs.next(), "one row (execution " + i + ")");
          }
          equal(ps.unwrap(PGStatement.class).isUseServerPrepare(), i >= 4,
              "named server-prepared statement after execution " + i);
        }
      }

      // Vector search with the vector as a string cast to vector.
      try (PreparedStatement ps =
          c.prepareStatement("SELECT id, embedding <-> ?::vector AS d FROM jd_items ORDER BY embedding <-> ?::vector LIMIT ?")) {
        ps.setString(1, "[4,4,5]");
        ps.setString(2, "[4,4,5]");
        ps.setInt(3, 3);
        try (ResultSet rs = ps.executeQuery()) {
          List<String> got = new ArrayList<>();
          while (rs.next()) {
            got.add(rs.getLong(1) + ":" + Math.round(rs.getDouble(2) * 1000) / 1000.0);
          }
          equal(got.toString(), "[4:1.0, 5:1.414, 3:2.449]", "nearest ids and distances");
        }
        ResultSetMetaData rmd = ps.getMetaData();
        equal(rmd.getColumnLabel(1) + "," + rmd.getColumnLabel(2), "id,d", "column labels");
      }

      // RETURN_GENERATED_KEYS: pgjdbc appends RETURNING *.
      try (PreparedStatement ps =
          c.prepareStatement("INSERT INTO jd_items (id, name) VALUES (?, ?)", Statement.RETURN_GENERATED_KEYS)) {
        ps.setLong(1, 50);
        ps.setString(2, "returned");
        equal(ps.executeUpdate(), 1, "insert with RETURN_GENERATED_KEYS");
        try (ResultSet keys = ps.getGeneratedKeys()) {
          check(keys.next(), "generated keys row");
          equal(keys.getLong("id"), 50L, "generated keys id");
          equal(keys.getString("name"), "returned", "generated keys name");
        }
      }

      // Transactions and savepoints.
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.executeUpdate("INSERT INTO jd_items (id, name) VALUES (60, 'rolled back')");
        c.rollback();
        st.executeUpdate("INSERT INTO jd_items (id, name) VALUES (61, 'kept')");
        Savepoint sp = c.setSavepoint("sp");
        st.executeUpdate("INSERT INTO jd_items (id, name) VALUES (62, 'undone')");
        c.rollback(sp);
        c.commit();
        try (ResultSet rs = st.executeQuery("SELECT id FROM jd_items WHERE id >= 60 ORDER BY id")) {
          equal(ids(rs).toString(), "[61]", "rows after rollback, savepoint and commit");
        }
        fails("42P01", () -> st.executeQuery("SELECT * FROM jd_missing"), "missing table in a transaction");
        fails("25P02", () -> st.executeQuery("SELECT 1"), "statement in failed transaction");
        c.rollback();
      }
      c.setAutoCommit(true);

      // Errors carry their SQLSTATE; the connection stays usable.
      try (Statement st = c.createStatement()) {
        fails("42P01", () -> st.executeQuery("SELECT * FROM jd_missing"), "missing table");
        fails("22000", () -> st.executeUpdate("INSERT INTO jd_items (id, name, embedding) VALUES (5, 'x', '[1,2]')"),
            "wrong vector dimensions");
        fails("22012", () -> st.executeQuery("SELECT 1/0"), "division by zero");
        try (ResultSet rs = st.executeQuery("SELECT count(*) FROM jd_items")) {
          check(rs.next(), "count row");
          equal(rs.getLong(1), 11L, "row count after errors");
        }
      }
      // setQueryTimeout: pgjdbc sends a CancelRequest after 1 s (57014).
      try (Statement st = c.createStatement()) {
        st.setQueryTimeout(1);
        long start = System.nanoTime();
        fails("57014", () -> st.executeQuery(LONG), "setQueryTimeout(1)");
        check((System.nanoTime() - start) / 1e9 < 15, "query timeout fired in time");
      }
      check(c.isValid(2), "connection valid");
    }
  }

  static void fetchSize() throws Exception {
    try (Connection c = connect("")) {
      recreate(c, "jd_fetch", "id bigint");
      try (Statement st = c.createStatement()) {
        st.executeUpdate("INSERT INTO jd_fetch SELECT n FROM generate_series(1, 25) AS g(n)");
      }
      c.setAutoCommit(false);
      try (PreparedStatement ps = c.prepareStatement("SELECT id FROM jd_fetch ORDER BY id")) {
        ps.setFetchSize(10);
        try (ResultSet rs = ps.executeQuery()) {
          List<Long> got = ids(rs);
          equal(got.size(), 25, "rows fetched 10 at a time");
          equal(got.get(24), 25L, "last row");
        }
      }
      c.commit();
    }
  }

  static void pgvector() throws Exception {
    try (Connection c = connect("")) {
      recreate(c, "jd_vec", "id bigint, embedding vector(3)");
      PGvector.addVectorType(c);
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO jd_vec VALUES (?, ?)")) {
        for (int i = 1; i <= 3; i++) {
          ps.setLong(1, i);
          ps.setObject(2, new PGvector(new float[] {i, i, i}));
          ps.executeUpdate();
        }
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT id, embedding FROM jd_vec ORDER BY embedding <-> ? LIMIT 1")) {
        ps.setObject(1, new PGvector(new float[] {3, 3, 4}));
        try (ResultSet rs = ps.executeQuery()) {
          check(rs.next(), "nearest row");
          equal(rs.getLong(1), 3L, "nearest id");
          PGvector v = (PGvector) rs.getObject(2);
          equal(Arrays.toString(v.toArray()), "[3.0, 3.0, 3.0]", "PGvector read back");
        }
      }
    }
  }

  static List<String> column(ResultSet rs, String name) throws SQLException {
    List<String> out = new ArrayList<>();
    try (rs) {
      while (rs.next()) {
        out.add(rs.getString(name));
      }
    }
    return out;
  }

  static void metadata() throws Exception {
    try (Connection c = connect("")) {
      recreate(c, "jd_meta", ITEMS);
      DatabaseMetaData md = c.getMetaData();
      check(column(md.getSchemas(), "TABLE_SCHEM").contains("public"), "getSchemas lists public");
      equal(column(md.getTables(null, "public", "jd_meta", new String[] {"TABLE"}), "TABLE_NAME").toString(), "[jd_meta]",
          "getTables");
      Map<String, String> cols = new LinkedHashMap<>();
      try (ResultSet rs = md.getColumns(null, "public", "jd_meta", "%")) {
        while (rs.next()) {
          cols.put(rs.getString("COLUMN_NAME"), rs.getString("TYPE_NAME") + "/" + rs.getString("IS_NULLABLE"));
        }
      }
      equal(cols.toString(),
          "{id=int8/NO, name=text/NO, qty=int4/YES, price=float8/YES, created_at=timestamptz/YES, active=bool/YES, embedding=vector/YES}",
          "getColumns");
      equal(column(md.getPrimaryKeys(null, "public", "jd_meta"), "COLUMN_NAME").toString(), "[]", "getPrimaryKeys");
      equal(column(md.getImportedKeys(null, "public", "jd_meta"), "FKCOLUMN_NAME").toString(), "[]", "getImportedKeys");
      equal(column(md.getIndexInfo(null, "public", "jd_meta", false, true), "INDEX_NAME").toString(), "[]", "getIndexInfo");
      List<String> types = column(md.getTypeInfo(), "TYPE_NAME");
      check(types.contains("int8") && types.contains("text") && types.contains("vector"), "getTypeInfo lists int8, text, vector");
      check(column(md.getFunctions(null, "public", "l2_distance"), "FUNCTION_NAME").contains("l2_distance"),
          "getFunctions finds pgvector's l2_distance");
    }
  }

  static void resultMetadata() throws Exception {
    try (Connection c = connect("")) {
      recreate(c, "jd_rsmd", ITEMS);
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT id, name, embedding FROM jd_rsmd")) {
        ResultSetMetaData rmd = rs.getMetaData();
        equal(rmd.getColumnTypeName(1) + "," + rmd.getColumnTypeName(2) + "," + rmd.getColumnTypeName(3), "int8,text,vector",
            "column type names");
        equal(rmd.getTableName(1), "jd_rsmd", "table name");
        equal(rmd.isNullable(1), ResultSetMetaData.columnNoNulls, "id is NOT NULL");
        equal(rmd.isNullable(3), ResultSetMetaData.columnNullable, "embedding is nullable");
      }
    }
  }

  static void numeric() throws Exception {
    try (Connection c = connect("")) {
      recreate(c, "jd_num", "id bigint, price numeric(10,2)");
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO jd_num VALUES (?, ?)")) {
        ps.setLong(1, 1);
        ps.setBigDecimal(2, new BigDecimal("12.345"));
        ps.executeUpdate();
      }
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT price FROM jd_num")) {
        check(rs.next(), "row");
        equal(rs.getBigDecimal(1), new BigDecimal("12.35"), "numeric(10,2) rounds to scale");
      }
    }
  }

  public static void main(String[] args) {
    Map<String, Part> parts = new LinkedHashMap<>();
    parts.put("basic", JdbcSuite::basic);
    parts.put("fetch_size", JdbcSuite::fetchSize);
    parts.put("pgvector", JdbcSuite::pgvector);
    parts.put("metadata", JdbcSuite::metadata);
    parts.put("result_metadata", JdbcSuite::resultMetadata);
    parts.put("numeric", JdbcSuite::numeric);
    List<String> names = args.length > 0 ? Arrays.asList(args) : new ArrayList<>(parts.keySet());
    int failed = 0;
    for (String name : names) {
      Part p = parts.get(name);
      if (p == null) {
        System.out.println("unknown part " + name + "; parts: " + parts.keySet());
        System.exit(2);
      }
      System.out.println("--- " + name);
      try {
        p.run();
        System.out.println("PASS " + name);
      } catch (Exception | AssertionError e) {
        e.printStackTrace(System.out);
        if (e instanceof SQLException se) {
          System.out.println("SQLSTATE: " + se.getSQLState());
        }
        System.out.println("FAIL " + name);
        failed++;
      }
    }
    System.out.flush();
    System.exit(failed > 0 ? 1 : 0);
  }
}
