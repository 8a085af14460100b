package types

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
)

// Family is the kind of a SQL type.
type Family uint8

// The SQL type families Weir supports, each with a PostgreSQL OID and an
// Arrow representation (see ArrowType).
const (
	Unknown Family = iota // the type of an untyped NULL or string literal
	Bool
	Int2
	Int4
	Int8
	Float4
	Float8
	Numeric
	Text
	Varchar
	Bytea
	Date
	Timestamp
	TimestampTZ
	Interval
	Jsonb
	// Catalog types, for pg_catalog and the clients that read it.
	Oid      // object identifier: an unsigned 32-bit number
	Name     // a catalog name (text)
	Char     // PostgreSQL's one-byte "char"
	Regclass // a relation, printed by name
	Regtype  // a type, printed by name
)

// Type is a SQL type: a family plus its modifiers.
type Type struct {
	Family Family
	// Width is the declared length of varchar(n); 0 means unbounded.
	Width int32
	// Precision and Scale are numeric(p, s)'s modifiers. Precision 0 means an
	// unconstrained numeric, whose values still carry Scale digits after the
	// decimal point.
	Precision int32
	Scale     int32
}

// Common types.
var (
	TUnknown     = Type{Family: Unknown}
	TBool        = Type{Family: Bool}
	TInt2        = Type{Family: Int2}
	TInt4        = Type{Family: Int4}
	TInt8        = Type{Family: Int8}
	TFloat4      = Type{Family: Float4}
	TFloat8      = Type{Family: Float8}
	TNumeric     = Type{Family: Numeric}
	TText        = Type{Family: Text}
	TVarchar     = Type{Family: Varchar}
	TBytea       = Type{Family: Bytea}
	TDate        = Type{Family: Date}
	TTimestamp   = Type{Family: Timestamp}
	TTimestampTZ = Type{Family: TimestampTZ}
	TInterval    = Type{Family: Interval}
	TJsonb       = Type{Family: Jsonb}
	TOid         = Type{Family: Oid}
	TName        = Type{Family: Name}
	TChar        = Type{Family: Char}
	TRegclass    = Type{Family: Regclass}
	TRegtype     = Type{Family: Regtype}
)

// NumericOf returns numeric with the given scale and no precision bound.
func NumericOf(scale int32) Type { return Type{Family: Numeric, Scale: scale} }

// IsInteger reports whether t is smallint, integer or bigint.
func (t Type) IsInteger() bool { return t.Family == Int2 || t.Family == Int4 || t.Family == Int8 }

// IsNumeric reports whether t is any number type.
func (t Type) IsNumeric() bool {
	return t.IsInteger() || t.Family == Float4 || t.Family == Float8 || t.Family == Numeric
}

// IsString reports whether t is a character string type.
func (t Type) IsString() bool {
	return t.Family == Text || t.Family == Varchar || t.Family == Name || t.Family == Char
}

// IsTime reports whether t is a timestamp type.
func (t Type) IsTime() bool { return t.Family == Timestamp || t.Family == TimestampTZ }

// OID is the PostgreSQL type OID.
func (t Type) OID() uint32 {
	switch t.Family {
	case Bool:
		return 16
	case Int2:
		return 21
	case Int4:
		return 23
	case Int8:
		return 20
	case Float4:
		return 700
	case Float8:
		return 701
	case Numeric:
		return 1700
	case Text:
		return 25
	case Varchar:
		return 1043
	case Bytea:
		return 17
	case Date:
		return 1082
	case Timestamp:
		return 1114
	case TimestampTZ:
		return 1184
	case Interval:
		return 1186
	case Jsonb:
		return 3802
	case Oid:
		return 26
	case Name:
		return 19
	case Char:
		return 18
	case Regclass:
		return 2205
	case Regtype:
		return 2206
	}
	return 705 // unknown
}

// Size is the pg_type.typlen of t (-1 for variable length).
func (t Type) Size() int16 {
	switch t.Family {
	case Bool:
		return 1
	case Int2:
		return 2
	case Int4, Float4, Date, Oid, Regclass, Regtype:
		return 4
	case Char:
		return 1
	case Name:
		return 64
	case Int8, Float8, Timestamp, TimestampTZ:
		return 8
	case Interval:
		return 16
	}
	return -1
}

// Modifier is the pg_attribute.atttypmod of t (-1 when none).
func (t Type) Modifier() int32 {
	switch {
	case t.Family == Varchar && t.Width > 0:
		return t.Width + 4
	case t.Family == Numeric && t.Precision > 0:
		return (t.Precision<<16 | t.Scale) + 4
	}
	return -1
}

// String is the type's name as PostgreSQL's format_type prints it.
func (t Type) String() string {
	switch t.Family {
	case Bool:
		return "boolean"
	case Int2:
		return "smallint"
	case Int4:
		return "integer"
	case Int8:
		return "bigint"
	case Float4:
		return "real"
	case Float8:
		return "double precision"
	case Numeric:
		if t.Precision > 0 {
			return fmt.Sprintf("numeric(%d,%d)", t.Precision, t.Scale)
		}
		return "numeric"
	case Text:
		return "text"
	case Varchar:
		if t.Width > 0 {
			return fmt.Sprintf("character varying(%d)", t.Width)
		}
		return "character varying"
	case Bytea:
		return "bytea"
	case Date:
		return "date"
	case Timestamp:
		return "timestamp without time zone"
	case TimestampTZ:
		return "timestamp with time zone"
	case Interval:
		return "interval"
	case Jsonb:
		return "jsonb"
	case Oid:
		return "oid"
	case Name:
		return "name"
	case Char:
		return `"char"`
	case Regclass:
		return "regclass"
	case Regtype:
		return "regtype"
	}
	return "unknown"
}

// ArrowType is the Arrow type that holds values of t in a column.
func (t Type) ArrowType() arrow.DataType {
	switch t.Family {
	case Bool:
		return arrow.FixedWidthTypes.Boolean
	case Int2:
		return arrow.PrimitiveTypes.Int16
	case Int4:
		return arrow.PrimitiveTypes.Int32
	case Int8, Oid, Regclass, Regtype:
		return arrow.PrimitiveTypes.Int64
	case Float4:
		return arrow.PrimitiveTypes.Float32
	case Float8:
		return arrow.PrimitiveTypes.Float64
	case Numeric:
		if t.Precision == 0 {
			// An unconstrained numeric's values each keep their own scale
			// (PostgreSQL prints avg(1) as 1.0000000000000000 but 10/4.0
			// as 2.5000000000000000); Arrow's decimal fixes one scale per
			// column, so these travel as their exact decimal text.
			return arrow.BinaryTypes.String
		}
		return &arrow.Decimal128Type{Precision: 38, Scale: t.Scale}
	case Bytea:
		return arrow.BinaryTypes.Binary
	case Date:
		return arrow.FixedWidthTypes.Date32
	case Timestamp, TimestampTZ:
		return arrow.FixedWidthTypes.Timestamp_us
	case Interval:
		return arrow.FixedWidthTypes.MonthDayNanoInterval
	}
	return arrow.BinaryTypes.String
}

// ParseTypeName reads a PostgreSQL type name such as "bigint",
// "varchar(20)", "numeric(10, 2)", "timestamp with time zone", "int8" or
// "pg_catalog.text".
func ParseTypeName(name string) (Type, error) {
	s := strings.ToLower(strings.TrimSpace(name))
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, " . ", ".")
	s = strings.TrimPrefix(s, "pg_catalog.")
	s = strings.ReplaceAll(s, " (", "(")
	s = strings.ReplaceAll(s, " [ ]", "[]")
	s = strings.ReplaceAll(s, " []", "[]")
	if strings.HasSuffix(s, "[]") || strings.HasPrefix(s, "_") && s != "_" {
		// Weir has no array type yet: arrays (catalog columns, casts in
		// clients' catalog queries) travel as PostgreSQL's array text form.
		return TText, nil
	}
	switch s {
	case "int2vector", "oidvector", "aclitem", "regproc", "anyarray", "pg_node_tree", "text[]":
		return TText, nil
	}
	var mods []int32
	if i := strings.IndexByte(s, '('); i >= 0 {
		j := strings.IndexByte(s, ')')
		if j < i {
			return Type{}, Errorf(CodeSyntaxError, "syntax error in type name %q", name)
		}
		for _, m := range strings.Split(s[i+1:j], ",") {
			n, err := strconv.Atoi(strings.TrimSpace(m))
			if err != nil {
				return Type{}, Errorf(CodeSyntaxError, "invalid type modifier in %q", name)
			}
			mods = append(mods, int32(n))
		}
		s = strings.TrimSpace(s[:i] + s[j+1:])
	}
	var t Type
	switch s {
	case "bool", "boolean":
		t = TBool
	case "int2", "smallint":
		t = TInt2
	case "int", "int4", "integer":
		t = TInt4
	case "int8", "bigint":
		t = TInt8
	case "float4", "real":
		t = TFloat4
	case "float8", "double precision", "float", "double":
		t = TFloat8
	case "numeric", "decimal":
		t = TNumeric
		if len(mods) > 0 {
			t.Precision = mods[0]
			if t.Precision < 1 || t.Precision > 38 {
				return Type{}, Errorf(CodeInvalidParameterValue, "NUMERIC precision %d must be between 1 and 38", t.Precision)
			}
		}
		if len(mods) > 1 {
			t.Scale = mods[1]
			if t.Scale < 0 || t.Scale > t.Precision {
				return Type{}, Errorf(CodeInvalidParameterValue, "NUMERIC scale %d must be between 0 and precision %d", t.Scale, t.Precision)
			}
		}
		return t, nil
	case "text", "string":
		t = TText
	case "varchar", "character varying", "char varying":
		t = TVarchar
		if len(mods) > 0 {
			if mods[0] < 1 {
				return Type{}, Errorf(CodeSyntaxError, "length for type varchar must be at least 1")
			}
			t.Width = mods[0]
		}
		return t, nil
	case "char", "character", "bpchar":
		// Weir stores fixed-width character data as text.
		t = TText
		return t, nil
	case "bytea":
		t = TBytea
	case "date":
		t = TDate
	case "timestamp", "timestamp without time zone":
		t = TTimestamp
	case "timestamptz", "timestamp with time zone":
		t = TTimestampTZ
	case "interval":
		t = TInterval
	case "jsonb", "json":
		t = TJsonb
	case "oid", "regproc", "regprocedure", "regoper", "regnamespace", "regrole", "xid", "cid":
		t = TOid
	case "name":
		t = TName
	case `"char"`:
		t = TChar
	case "regclass":
		t = TRegclass
	case "regtype":
		t = TRegtype
	default:
		return Type{}, Errorf(CodeUndefinedObject, "type %q does not exist", strings.TrimSpace(name))
	}
	if len(mods) > 0 && t.Family != Timestamp && t.Family != TimestampTZ && t.Family != Float8 {
		return Type{}, Errorf(CodeSyntaxError, "type modifier is not allowed for type %q", s)
	}
	return t, nil
}
