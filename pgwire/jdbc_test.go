package pgwire

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// jdbcProgram runs a PreparedStatement with parameters of several types
// often enough (more than pgjdbc's prepareThreshold of 5) that the driver
// moves to a named server-side statement and binary results.
const jdbcProgram = `
import java.math.BigDecimal;
import java.sql.*;

public class WeirJDBC {
	public static void main(String[] args) throws Exception {
		try (Connection c = DriverManager.getConnection(args[0])) {
			try (PreparedStatement ps = c.prepareStatement("select ?::int8, ?::text, ?::numeric, ?::bool, ?::float8")) {
				for (int i = 0; i < 8; i++) {
					ps.setLong(1, 1000000000000L + i);
					ps.setString(2, "héllo " + i);
					ps.setBigDecimal(3, new BigDecimal("12.50"));
					ps.setBoolean(4, i % 2 == 0);
					ps.setDouble(5, 0.25);
					try (ResultSet rs = ps.executeQuery()) {
						while (rs.next()) {
							System.out.println(rs.getLong(1) + "|" + rs.getString(2) + "|" + rs.getBigDecimal(3) + "|" + rs.getBoolean(4) + "|" + rs.getDouble(5));
						}
					}
				}
			}
			try (PreparedStatement ps = c.prepareStatement("select ?::int4")) {
				ps.setNull(1, Types.INTEGER);
				try (ResultSet rs = ps.executeQuery()) {
					rs.next();
					rs.getInt(1);
					System.out.println("null: " + rs.wasNull());
				}
			}
			try (Statement st = c.createStatement()) {
				st.execute("insert");
				System.out.println("update count: " + st.getUpdateCount());
			}
			try (PreparedStatement ps = c.prepareStatement("frobnicate")) {
				ps.execute();
			} catch (SQLException e) {
				System.out.println("error: " + e.getSQLState());
			}
		}
	}
}
`

// TestJDBC runs jdbcProgram against the fake engine, when Java and the
// PostgreSQL JDBC driver are installed (Debian's libpostgresql-jdbc-java).
func TestJDBC(t *testing.T) {
	const jar = "/usr/share/java/postgresql.jar"
	javac, err1 := exec.LookPath("javac")
	java, err2 := exec.LookPath("java")
	if _, err := os.Stat(jar); err != nil || err1 != nil || err2 != nil {
		t.Skip("no Java or no PostgreSQL JDBC driver")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "WeirJDBC.java"), []byte(jdbcProgram), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.CommandContext(testCtx(t), javac, "-cp", jar, "-d", dir, filepath.Join(dir, "WeirJDBC.java")).CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	ts := startServer(t, Config{})
	url := "jdbc:postgresql://" + ts.Addr().String() + "/weir?user=alice&sslmode=disable"
	cmd := exec.CommandContext(testCtx(t), java, "-cp", jar+string(os.PathListSeparator)+dir, "WeirJDBC", url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("java: %v\n%s", err, out)
	}
	var want strings.Builder
	for i := range 8 {
		want.WriteString("100000000000" + string(rune('0'+i)) + "|héllo " + string(rune('0'+i)) + "|12.50|" +
			map[bool]string{true: "true", false: "false"}[i%2 == 0] + "|0.25\n")
	}
	want.WriteString("null: true\nupdate count: 1\nerror: 42601\n")
	if string(out) != want.String() {
		t.Errorf("java printed\n%s\nwant\n%s", out, want.String())
	}
}
