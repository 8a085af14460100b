package sqllogictest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// pgDB is a DB over the PostgreSQL wire protocol.
//
// It speaks the simple query protocol through pgconn, pgx/v5's protocol
// layer, rather than pgx.Conn in QueryExecModeSimpleProtocol: in that mode
// pgx.Conn runs every query through its client-side argument sanitizer,
// which rejects servers that do not report standard_conforming_strings=on
// and client_encoding=UTF8 and scans the SQL for $n placeholders. pgconn
// sends the SQL verbatim, and the simple protocol returns every value in text
// format, which is exactly what results are compared in.
// closeTimeout bounds the goodbye a closing connection sends.
const closeTimeout = 5 * time.Second

type pgDB struct {
	conn *pgconn.PgConn
}

// NewPGDB connects to a PostgreSQL-wire server; connString is a URL or
// key=value string as libpq accepts.
func NewPGDB(ctx context.Context, connString string) (DB, error) {
	conn, err := pgconn.Connect(ctx, connString)
	if err != nil {
		return nil, fmt.Errorf("connecting to the server: %w", err)
	}
	return &pgDB{conn: conn}, nil
}

// NewPGOpener returns an Opener connecting each new DB with NewPGDB.
func NewPGOpener(connString string) Opener {
	return func(ctx context.Context) (DB, error) { return NewPGDB(ctx, connString) }
}

// result is what a SQL string returned: the command tag, columns and rows of
// its last statement.
type result struct {
	tag     string
	columns []string
	rows    [][]*string
}

// exec runs sql, which may hold several statements, and returns the last
// one's result. Rows are read by hand rather than with ReadAll, whose
// results omit the columns of an empty result.
func (d *pgDB) exec(ctx context.Context, sql string) (result, error) {
	mrr := d.conn.Exec(ctx, sql)
	var last result
	for mrr.NextResult() {
		rr := mrr.ResultReader()
		var res result
		for rr.NextRow() {
			values := rr.Values()
			row := make([]*string, len(values))
			for i, v := range values {
				if v != nil {
					s := string(v)
					row[i] = &s
				}
			}
			res.rows = append(res.rows, row)
		}
		for _, fd := range rr.FieldDescriptions() {
			res.columns = append(res.columns, fd.Name)
		}
		tag, err := rr.Close()
		if err != nil {
			_ = mrr.Close() // the statement's error is the one to report
			return result{}, err
		}
		res.tag = tag.String()
		last = res
	}
	if err := mrr.Close(); err != nil {
		return result{}, err
	}
	return last, nil
}

func (d *pgDB) Exec(ctx context.Context, sql string) (int64, error) {
	res, err := d.exec(ctx, sql)
	if err != nil {
		return 0, err
	}
	return rowsAffected(res.tag), nil
}

// rowsAffected reads the count ending a command tag ("INSERT 0 3",
// "UPDATE 2", "SELECT 5"); tags without one ("CREATE TABLE") give -1.
func rowsAffected(tag string) int64 {
	i := strings.LastIndexByte(tag, ' ')
	if i < 0 {
		return -1
	}
	n, err := strconv.ParseInt(tag[i+1:], 10, 64)
	if err != nil {
		return -1
	}
	return n
}

func (d *pgDB) Query(ctx context.Context, sql string) ([]string, [][]*string, error) {
	res, err := d.exec(ctx, sql)
	if err != nil {
		return nil, nil, err
	}
	return res.columns, res.rows, nil
}

func (d *pgDB) Close() error {
	// Close sends Terminate before closing the socket; bound that write.
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	return d.conn.Close(ctx)
}
