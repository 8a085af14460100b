package sql

import "github.com/weir-db/weir/types"

// anyArgs accepts any arguments (unknown literals read as text).
func anyArgs(result types.Type) scalarFunc {
	return func(args []Expr) (types.Type, []Expr, error) {
		out := make([]Expr, len(args))
		for i, a := range args {
			if a.Type().Family == types.Unknown {
				c, err := coerce(a, types.TText)
				if err != nil {
					return types.Type{}, nil, err
				}
				a = c
			}
			out[i] = a
		}
		return result, out, nil
	}
}

// The functions PostgreSQL clients call in catalog queries (psql's \d
// family, JDBC's DatabaseMetaData, SQLAlchemy's inspector). The engine
// evaluates them against its catalog.
func init() {
	tOid, tName, tText, tBool, tInt4, tInt8 := types.TOid, types.TName, types.TText, types.TBool, types.TInt4, types.TInt8
	optional := func(result types.Type, want ...types.Type) scalarFunc {
		return func(args []Expr) (types.Type, []Expr, error) {
			if len(args) > len(want) || len(args) == 0 {
				return types.Type{}, nil, errNoFunc("", args)
			}
			return sig(result, want[:len(args)]...)(args)
		}
	}
	for name, f := range map[string]scalarFunc{
		"pg_table_is_visible":             sig(tBool, tOid),
		"pg_type_is_visible":              sig(tBool, tOid),
		"pg_function_is_visible":          sig(tBool, tOid),
		"pg_get_userbyid":                 sig(tName, tOid),
		"format_type":                     sig(tText, tOid, tInt4),
		"pg_get_viewdef":                  optional(tText, tOid, tBool),
		"pg_get_indexdef":                 optional(tText, tOid, tInt4, tBool),
		"pg_get_constraintdef":            optional(tText, tOid, tBool),
		"pg_get_expr":                     optional(tText, tText, tOid, tBool),
		"pg_get_ruledef":                  optional(tText, tOid, tBool),
		"pg_get_partkeydef":               sig(tText, tOid),
		"pg_get_statisticsobjdef_columns": sig(tText, tOid),
		"pg_get_serial_sequence":          sig(tText, tText, tText),
		"pg_encoding_to_char":             sig(tName, tInt4),
		"pg_relation_is_publishable":      sig(tBool, tOid),
		"obj_description":                 optional(tText, tOid, tName),
		"shobj_description":               sig(tText, tOid, tName),
		"col_description":                 sig(tText, tOid, tInt4),
		"has_table_privilege":             variadic(tBool, tText),
		"has_schema_privilege":            variadic(tBool, tText),
		"has_database_privilege":          variadic(tBool, tText),
		"has_column_privilege":            variadic(tBool, tText),
		"pg_has_role":                     variadic(tBool, tText),
		"pg_total_relation_size":          sig(tInt8, tOid),
		"pg_relation_size":                optional(tInt8, tOid, tText),
		"pg_table_size":                   sig(tInt8, tOid),
		"pg_indexes_size":                 sig(tInt8, tOid),
		"pg_size_pretty":                  sig(tText, tInt8),
		"pg_postmaster_start_time":        sig(types.TTimestampTZ),
		"pg_is_in_recovery":               sig(tBool),
		"txid_current":                    sig(tInt8),
		"inet_server_addr":                sig(tText),
		"inet_server_port":                sig(tInt4),
		"quote_ident":                     sig(tText, tText),
		"quote_literal":                   sig(tText, tText),
		"array_to_string":                 sig(tText, tText, tText),
		"array_upper":                     sig(tInt4, tText, tInt4),
		"array_lower":                     sig(tInt4, tText, tInt4),
		"array_length":                    sig(tInt4, tText, tInt4),
		"cardinality":                     sig(tInt4, tText),
		"json_build_object":               anyArgs(types.TJsonb),
		"jsonb_build_object":              anyArgs(types.TJsonb),
		"current_schemas":                 sig(tText, tBool),
	} {
		scalarFuncs[name] = f
	}
}
