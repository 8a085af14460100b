package engine

import (
	"strings"

	"github.com/weir-db/weir/types"
)

// information_schema: the SQL standard's catalog views, generated like
// pg_catalog from the relations pg_class lists.
func init() {
	yes := func(b bool) string {
		if b {
			return "YES"
		}
		return "NO"
	}
	schemaOf := func(r relEntry) string {
		if r.sysName != "" {
			s, _, _ := strings.Cut(r.sysName, ".")
			return s
		}
		return "public"
	}
	registerSystemTable(&systemTable{
		name: "information_schema.schemata", oid: 13200,
		cols: cols("catalog_name", tName, "schema_name", tName, "schema_owner", tName, "default_character_set_catalog", tName,
			"default_character_set_schema", tName, "default_character_set_name", tName, "sql_path", tText),
		rows: func(sc *systemCtx) ([][]types.Datum, error) {
			var out [][]types.Datum
			for _, s := range []string{"pg_catalog", "public", "information_schema", "weir_catalog"} {
				out = append(out, []types.Datum{"weir", s, "weir", nil, nil, nil, nil})
			}
			return out, nil
		},
	})
	registerSystemTable(&systemTable{
		name: "information_schema.tables", oid: 13201,
		cols: cols("table_catalog", tName, "table_schema", tName, "table_name", tName, "table_type", tText,
			"self_referencing_column_name", tName, "reference_generation", tText, "user_defined_type_catalog", tName,
			"user_defined_type_schema", tName, "user_defined_type_name", tName, "is_insertable_into", tText,
			"is_typed", tText, "commit_action", tText),
		rows: func(sc *systemCtx) ([][]types.Datum, error) {
			var out [][]types.Datum
			for _, r := range sc.relations() {
				var kind string
				switch r.kind {
				case "r":
					kind = "BASE TABLE"
				case "v", "m":
					kind = "VIEW"
				default:
					continue
				}
				if r.kind == "m" {
					continue // PostgreSQL leaves materialized views out of information_schema
				}
				out = append(out, []types.Datum{"weir", schemaOf(r), r.name, kind, nil, nil, nil, nil, nil, yes(r.kind == "r"), "NO", nil})
			}
			return out, nil
		},
	})
	registerSystemTable(&systemTable{
		name: "information_schema.columns", oid: 13202,
		cols: cols("table_catalog", tName, "table_schema", tName, "table_name", tName, "column_name", tName,
			"ordinal_position", tInt4, "column_default", tText, "is_nullable", tText, "data_type", tText,
			"character_maximum_length", tInt4, "character_octet_length", tInt4, "numeric_precision", tInt4,
			"numeric_precision_radix", tInt4, "numeric_scale", tInt4, "datetime_precision", tInt4,
			"udt_catalog", tName, "udt_schema", tName, "udt_name", tName, "is_identity", tText, "is_generated", tText,
			"is_updatable", tText),
		rows: func(sc *systemCtx) ([][]types.Datum, error) {
			var out [][]types.Datum
			for _, r := range sc.relations() {
				if r.kind == "i" || r.kind == "m" {
					continue
				}
				for i, c := range r.cols {
					var charMax, prec, radix, scale, dtPrec types.Datum
					t := c.Type
					switch {
					case t.Family == types.Varchar && t.Width > 0:
						charMax = int64(t.Width)
					case t.IsInteger():
						prec, radix, scale = int64(map[types.Family]int{types.Int2: 16, types.Int4: 32, types.Int8: 64}[t.Family]), int64(2), int64(0)
					case t.Family == types.Float4 || t.Family == types.Float8:
						prec, radix = int64(map[types.Family]int{types.Float4: 24, types.Float8: 53}[t.Family]), int64(2)
					case t.Family == types.Numeric:
						radix = int64(10)
						if t.Precision > 0 {
							prec, scale = int64(t.Precision), int64(t.Scale)
						}
					case t.IsTime() || t.Family == types.Date:
						dtPrec = int64(6)
						if t.Family == types.Date {
							dtPrec = int64(0)
						}
					}
					dataType := t.String()
					if i := strings.IndexByte(dataType, '('); i >= 0 {
						dataType = dataType[:i]
					}
					udt := ""
					for _, pt := range pgTypes {
						if pt.typ.Family == t.Family {
							udt = pt.name
							break
						}
					}
					out = append(out, []types.Datum{"weir", schemaOf(r), r.name, c.Name, int64(i + 1), nil, yes(!c.NotNull), dataType,
						charMax, nil, prec, radix, scale, dtPrec, "weir", "pg_catalog", udt, "NO", "NEVER", yes(r.kind == "r")})
				}
			}
			return out, nil
		},
	})
	registerSystemTable(&systemTable{
		name: "information_schema.views", oid: 13203,
		cols: cols("table_catalog", tName, "table_schema", tName, "table_name", tName, "view_definition", tText,
			"check_option", tText, "is_updatable", tText, "is_insertable_into", tText),
		rows: func(sc *systemCtx) ([][]types.Datum, error) {
			var out [][]types.Datum
			for _, r := range sc.relations() {
				if r.kind == "v" {
					out = append(out, []types.Datum{"weir", schemaOf(r), r.name, viewDefinition(r.obj), "NONE", "NO", "NO"})
				}
			}
			return out, nil
		},
	})
}
