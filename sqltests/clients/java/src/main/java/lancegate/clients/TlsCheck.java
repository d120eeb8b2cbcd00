package lancegate.clients;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * pgjdbc with sslmode=verify-full, for sqltests/tls_test.go: connects to localhost:PGPORT with the CA
 * in GOOD_CA (must work, SCRAM password PGPASSWORD) and with the CA in OTHER_CA (must be refused), and
 * exits non-zero when either does not happen.
 */
public final class TlsCheck {
  private TlsCheck() {}

  static Connection connect(String ca) throws SQLException {
    String url = "jdbc:postgresql://localhost:" + System.getenv("PGPORT") + "/lancegate?user=lancegate&password="
        + System.getenv("PGPASSWORD") + "&sslmode=verify-full&sslrootcert=" + ca;
    return DriverManager.getConnection(url);
  }

  public static void main(String[] args) throws Exception {
    try (Connection c = connect(System.getenv("GOOD_CA"));
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT current_user")) {
      if (!rs.next() || !"lancegate".equals(rs.getString(1))) {
        System.out.println("FAIL current_user over verify-full");
        System.exit(1);
      }
      System.out.println("ok: verify-full with the server's CA, current_user = lancegate");
    }
    try (Connection c = connect(System.getenv("OTHER_CA"))) {
      System.out.println("FAIL verify-full with another CA connected");
      System.exit(1);
    } catch (SQLException e) {
      System.out.println("ok: verify-full with another CA refused (" + e.getSQLState() + ")");
    }
  }
}
