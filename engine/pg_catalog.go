package engine

import (
	"fmt"
	"strings"

	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
)

// pg_catalog: PostgreSQL's catalog tables, generated from Weir's catalog,
// with the columns psql, JDBC, SQLAlchemy and BI tools read. Streams and
// tables show as tables (relkind 'r'), materialized views as 'm', views as
// 'v', indexes (including each table's primary key) as 'i'.

// Well-known oids, as PostgreSQL 15 numbers them where one exists.
const (
	oidPgCatalog      = 11
	oidPublic         = 2200
	oidInfoSchema     = 13183
	oidWeirCatalog    = 16000
	oidOwner          = 10
	oidHeapAM         = 2
	oidBtreeAM        = 403
	oidDatabase       = 16384
	oidPgClass        = 1259
	pkIndexOIDOffset  = 1 // a table's primary-key index: the table's id + 1
	pkConstraintDelta = 2 // its constraint: id + 2
)

var (
	tOid, tName, tChar, tText, tBool = types.TOid, types.TName, types.TChar, types.TText, types.TBool
	tInt2, tInt4, tInt8, tFloat4     = types.TInt2, types.TInt4, types.TInt8, types.TFloat4
)

func namespaceOID(schema string) int64 {
	switch schema {
	case "pg_catalog":
		return oidPgCatalog
	case "information_schema":
		return oidInfoSchema
	case "weir_catalog":
		return oidWeirCatalog
	}
	return oidPublic
}

// relEntry is one row of pg_class before rendering.
type relEntry struct {
	oid     int64
	name    string
	nsp     int64
	kind    string
	cols    []sql.Column
	hasIdx  bool
	am      int64
	obj     *object
	sysName string
}

// relations lists every relation pg_class shows.
func (sc *systemCtx) relations() []relEntry {
	var out []relEntry
	indexed := map[string]bool{}
	for _, o := range sc.objects {
		if o.Kind == sql.RelIndex {
			indexed[o.Table] = true
		}
	}
	for _, o := range sc.objects {
		if hidden(o.Name) {
			continue
		}
		e := relEntry{oid: int64(o.ID), name: o.Name, nsp: oidPublic, obj: o, am: oidHeapAM}
		switch o.Kind {
		case sql.RelStream:
			e.kind = "r"
		case sql.RelTable:
			e.kind = "r"
			e.hasIdx = true
			out = append(out, relEntry{oid: int64(o.ID) + pkIndexOIDOffset, name: o.Name + "_pkey", nsp: oidPublic, kind: "i", am: oidBtreeAM, obj: o})
		case sql.RelMaterializedView:
			e.kind = "m"
		case sql.RelView:
			e.kind, e.am = "v", 0
		case sql.RelIndex:
			e.kind, e.am = "i", oidBtreeAM
		default:
			continue
		}
		if o.Kind != sql.RelIndex {
			for _, c := range o.columns() {
				if !c.Hidden {
					e.cols = append(e.cols, c)
				}
			}
		}
		e.hasIdx = e.hasIdx || indexed[o.Name]
		out = append(out, e)
	}
	for _, t := range allSystemTables() {
		schema, name, _ := strings.Cut(t.name, ".")
		out = append(out, relEntry{oid: int64(t.oid), name: name, nsp: namespaceOID(schema), kind: "v", cols: t.cols, sysName: t.name})
	}
	return out
}

func init() {
	registerSystemTable(&systemTable{
		name: "pg_catalog.pg_namespace", oid: 2615,
		cols: cols("oid", tOid, "nspname", tName, "nspowner", tOid, "nspacl", tText),
		rows: func(sc *systemCtx) ([][]types.Datum, error) {
			return [][]types.Datum{
				{int64(oidPgCatalog), "pg_catalog", int64(oidOwner), nil},
				{int64(oidPublic), "public", int64(oidOwner), nil},
				{int64(oidInfoSchema), "information_schema", int64(oidOwner), nil},
				{int64(oidWeirCatalog), "weir_catalog", int64(oidOwner), nil},
			}, nil
		},
	})
	registerSystemTable(&systemTable{
		name: "pg_catalog.pg_class", oid: oidPgClass,
		cols: cols("oid", tOid, "relname", tName, "relnamespace", tOid, "reltype", tOid, "reloftype", tOid,
			"relowner", tOid, "relam", tOid, "relfilenode", tOid, "reltablespace", tOid, "relpages", tInt4,
			"reltuples", tFloat4, "relallvisible", tInt4, "reltoastrelid", tOid, "relhasindex", tBool,
			"relisshared", tBool, "relpersistence", tChar, "relkind", tChar, "relnatts", tInt2, "relchecks", tInt2,
			"relhasrules", tBool, "relhastriggers", tBool, "relhassubclass", tBool, "relrowsecurity", tBool,
			"relforcerowsecurity", tBool, "relispopulated", tBool, "relreplident", tChar, "relispartition", tBool,
			"relrewrite", tOid, "relfrozenxid", tOid, "relminmxid", tOid, "relacl", tText, "reloptions", tText,
			"relpartbound", tText),
		rows: func(sc *systemCtx) ([][]types.Datum, error) {
			var out [][]types.Datum
			for _, r := range sc.relations() {
				out = append(out, []types.Datum{r.oid, r.name, r.nsp, int64(0), int64(0), int64(oidOwner), r.am, r.oid, int64(0),
					int64(0), float64(-1), int64(0), int64(0), r.hasIdx, false, "p", r.kind, int64(len(r.cols)), int64(0),
					false, false, false, false, false, true, "d", false, int64(0), int64(0), int64(0), nil, nil, nil})
			}
			return out, nil
		},
	})
	registerSystemTable(&systemTable{
		name: "pg_catalog.pg_attribute", oid: 1249,
		cols: cols("attrelid", tOid, "attname", tName, "atttypid", tOid, "attstattarget", tInt4, "attlen", tInt2,
			"attnum", tInt2, "attndims", tInt4, "attcacheoff", tInt4, "atttypmod", tInt4, "attbyval", tBool,
			"attalign", tChar, "attstorage", tChar, "attcompression", tChar, "attnotnull", tBool, "atthasdef", tBool,
			"atthasmissing", tBool, "attidentity", tChar, "attgenerated", tChar, "attisdropped", tBool,
			"attislocal", tBool, "attinhcount", tInt4, "attcollation", tOid, "attacl", tText, "attoptions", tText,
			"attfdwoptions", tText, "attmissingval", tText),
		rows: func(sc *systemCtx) ([][]types.Datum, error) {
			var out [][]types.Datum
			for _, r := range sc.relations() {
				for i, c := range r.cols {
					// Variable-length types are stored "extended" (may be
					// compressed or moved out of line), fixed ones "plain".
					storage := "p"
					if c.Type.Size() < 0 {
						storage = "x"
					}
					out = append(out, []types.Datum{r.oid, c.Name, int64(c.Type.OID()), int64(-1), int64(c.Type.Size()),
						int64(i + 1), int64(0), int64(-1), int64(c.Type.Modifier()), c.Type.Size() > 0 && c.Type.Size() <= 8,
						"i", storage, "", c.NotNull, false, false, "", "", false, true, int64(0), int64(0), nil, nil, nil, nil})
				}
			}
			return out, nil
		},
	})
	registerSystemTable(&systemTable{
		name: "pg_catalog.pg_type", oid: 1247,
		cols: cols("oid", tOid, "typname", tName, "typnamespace", tOid, "typowner", tOid, "typlen", tInt2,
			"typbyval", tBool, "typtype", tChar, "typcategory", tChar, "typispreferred", tBool, "typisdefined", tBool,
			"typdelim", tChar, "typrelid", tOid, "typelem", tOid, "typarray", tOid, "typinput", tOid, "typoutput", tOid,
			"typreceive", tOid, "typsend", tOid, "typmodin", tOid, "typmodout", tOid, "typanalyze", tOid,
			"typalign", tChar, "typstorage", tChar, "typnotnull", tBool, "typbasetype", tOid, "typtypmod", tInt4,
			"typndims", tInt4, "typcollation", tOid, "typdefaultbin", tText, "typdefault", tText, "typacl", tText),
		rows: func(sc *systemCtx) ([][]types.Datum, error) {
			var out [][]types.Datum
			for _, t := range pgTypes {
				out = append(out, []types.Datum{int64(t.typ.OID()), t.name, int64(oidPgCatalog), int64(oidOwner), int64(t.typ.Size()),
					t.typ.Size() > 0 && t.typ.Size() <= 8, "b", t.category, false, true, ",", int64(0), int64(0), int64(0),
					int64(0), int64(0), int64(0), int64(0), int64(0), int64(0), int64(0), "i", "p", false, int64(0), int64(-1),
					int64(0), int64(0), nil, nil, nil})
			}
			return out, nil
		},
	})
	registerSystemTable(&systemTable{
		name: "pg_catalog.pg_index", oid: 2610,
		cols: cols("indexrelid", tOid, "indrelid", tOid, "indnatts", tInt2, "indnkeyatts", tInt2, "indisunique", tBool,
			"indnullsnotdistinct", tBool, "indisprimary", tBool, "indisexclusion", tBool, "indimmediate", tBool,
			"indisclustered", tBool, "indisvalid", tBool, "indcheckxmin", tBool, "indisready", tBool, "indislive", tBool,
			"indisreplident", tBool, "indkey", tText, "indcollation", tText, "indclass", tText, "indoption", tText,
			"indexprs", tText, "indpred", tText),
		rows: func(sc *systemCtx) ([][]types.Datum, error) {
			var out [][]types.Datum
			add := func(idx, rel int64, keys []int, unique, primary bool) {
				var ks []string
				for _, k := range keys {
					ks = append(ks, fmt.Sprint(k+1))
				}
				out = append(out, []types.Datum{idx, rel, int64(len(keys)), int64(len(keys)), unique, false, primary, false,
					true, false, true, false, true, true, false, strings.Join(ks, " "), nil, nil, nil, nil, nil})
			}
			for _, o := range sc.objects {
				switch o.Kind {
				case sql.RelTable:
					add(int64(o.ID)+pkIndexOIDOffset, int64(o.ID), o.PrimaryKey, true, true)
				case sql.RelIndex:
					if t, ok := sc.e.cat.get(o.Table); ok {
						add(int64(o.ID), int64(t.ID), o.IndexCols, false, false)
					}
				}
			}
			return out, nil
		},
	})
	registerSystemTable(&systemTable{
		name: "pg_catalog.pg_constraint", oid: 2606,
		cols: cols("oid", tOid, "conname", tName, "connamespace", tOid, "contype", tChar, "condeferrable", tBool,
			"condeferred", tBool, "convalidated", tBool, "conrelid", tOid, "contypid", tOid, "conindid", tOid,
			"conparentid", tOid, "confrelid", tOid, "confupdtype", tChar, "confdeltype", tChar, "confmatchtype", tChar,
			"conislocal", tBool, "coninhcount", tInt4, "connoinherit", tBool, "conkey", tText, "confkey", tText, "conbin", tText),
		rows: func(sc *systemCtx) ([][]types.Datum, error) {
			var out [][]types.Datum
			for _, o := range sc.objects {
				if o.Kind != sql.RelTable || o.RowID {
					continue
				}
				var ks []string
				for _, k := range o.PrimaryKey {
					ks = append(ks, fmt.Sprint(k+1))
				}
				out = append(out, []types.Datum{int64(o.ID) + pkConstraintDelta, o.Name + "_pkey", int64(oidPublic), "p", false, false, true,
					int64(o.ID), int64(0), int64(o.ID) + pkIndexOIDOffset, int64(0), int64(0), " ", " ", " ", true, int64(0), true,
					"{" + strings.Join(ks, ",") + "}", nil, nil})
			}
			return out, nil
		},
	})
	registerSystemTable(&systemTable{
		name: "pg_catalog.pg_database", oid: 1262,
		cols: cols("oid", tOid, "datname", tName, "datdba", tOid, "encoding", tInt4, "datlocprovider", tChar,
			"datistemplate", tBool, "datallowconn", tBool, "datconnlimit", tInt4, "datfrozenxid", tOid, "datminmxid", tOid,
			"dattablespace", tOid, "datcollate", tText, "datctype", tText, "daticulocale", tText, "datcollversion", tText, "datacl", tText),
		rows: func(sc *systemCtx) ([][]types.Datum, error) {
			return [][]types.Datum{{int64(oidDatabase), "weir", int64(oidOwner), int64(6), "c", false, true, int64(-1),
				int64(0), int64(0), int64(1663), "C.UTF-8", "C.UTF-8", nil, nil, nil}}, nil
		},
	})
	roles := func(sc *systemCtx) ([][]types.Datum, error) {
		out := [][]types.Datum{{"weir", true, true, true, true, true, true, int64(-1), "********", nil, true, nil, int64(oidOwner)}}
		for _, u := range sc.e.users() {
			if u.name != "weir" {
				out = append(out, []types.Datum{u.name, false, true, false, false, true, false, int64(-1), "********", nil, false, nil, u.oid})
			}
		}
		return out, nil
	}
	roleCols := cols("rolname", tName, "rolsuper", tBool, "rolinherit", tBool, "rolcreaterole", tBool, "rolcreatedb", tBool,
		"rolcanlogin", tBool, "rolreplication", tBool, "rolconnlimit", tInt4, "rolpassword", tText,
		"rolvaliduntil", types.TTimestampTZ, "rolbypassrls", tBool, "rolconfig", tText, "oid", tOid)
	registerSystemTable(&systemTable{name: "pg_catalog.pg_roles", oid: 11001, cols: roleCols, rows: roles})
	registerSystemTable(&systemTable{name: "pg_catalog.pg_authid", oid: 1260, cols: roleCols, rows: roles})
	registerSystemTable(&systemTable{
		name: "pg_catalog.pg_user", oid: 11002,
		cols: cols("usename", tName, "usesysid", tOid, "usecreatedb", tBool, "usesuper", tBool, "userepl", tBool,
			"usebypassrls", tBool, "passwd", tText, "valuntil", types.TTimestampTZ, "useconfig", tText),
		rows: func(sc *systemCtx) ([][]types.Datum, error) {
			rs, _ := roles(sc)
			var out [][]types.Datum
			for _, r := range rs {
				out = append(out, []types.Datum{r[0], r[12], r[4], r[1], r[6], r[10], "********", nil, nil})
			}
			return out, nil
		},
	})
	registerSystemTable(&systemTable{
		name: "pg_catalog.pg_am", oid: 2601,
		cols: cols("oid", tOid, "amname", tName, "amhandler", tOid, "amtype", tChar),
		rows: func(sc *systemCtx) ([][]types.Datum, error) {
			return [][]types.Datum{{int64(oidHeapAM), "heap", int64(0), "t"}, {int64(oidBtreeAM), "btree", int64(0), "i"}}, nil
		},
	})
	registerSystemTable(&systemTable{
		name: "pg_catalog.pg_description", oid: 2609,
		cols: cols("objoid", tOid, "classoid", tOid, "objsubid", tInt4, "description", tText),
		rows: func(sc *systemCtx) ([][]types.Datum, error) { return nil, nil },
	})
	registerSystemTable(&systemTable{
		name: "pg_catalog.pg_settings", oid: 11003,
		cols: cols("name", tText, "setting", tText, "unit", tText, "category", tText, "short_desc", tText,
			"extra_desc", tText, "context", tText, "vartype", tText, "source", tText, "min_val", tText, "max_val", tText,
			"enumvals", tText, "boot_val", tText, "reset_val", tText, "sourcefile", tText, "sourceline", tInt4, "pending_restart", tBool),
		rows: func(sc *systemCtx) ([][]types.Datum, error) {
			var out [][]types.Datum
			for _, name := range sortedSettings() {
				v := defaultSettings[name]
				out = append(out, []types.Datum{name, v, nil, "Weir", "", nil, "user", "string", "default", nil, nil, nil, v, v, nil, nil, false})
			}
			return out, nil
		},
	})
	registerSystemTable(&systemTable{
		name: "pg_catalog.pg_matviews", oid: 11004,
		cols: cols("schemaname", tName, "matviewname", tName, "matviewowner", tName, "tablespace", tName,
			"hasindexes", tBool, "ispopulated", tBool, "definition", tText),
		rows: func(sc *systemCtx) ([][]types.Datum, error) {
			var out [][]types.Datum
			for _, r := range sc.relations() {
				if r.kind == "m" {
					out = append(out, []types.Datum{"public", r.name, "weir", nil, r.hasIdx, true, viewDefinition(r.obj)})
				}
			}
			return out, nil
		},
	})
	registerSystemTable(&systemTable{
		name: "pg_catalog.pg_views", oid: 11005,
		cols: cols("schemaname", tName, "viewname", tName, "viewowner", tName, "definition", tText),
		rows: func(sc *systemCtx) ([][]types.Datum, error) {
			var out [][]types.Datum
			for _, r := range sc.relations() {
				if r.kind == "v" {
					schema := "public"
					def := viewDefinition(r.obj)
					if r.sysName != "" {
						schema, _, _ = strings.Cut(r.sysName, ".")
					}
					out = append(out, []types.Datum{schema, r.name, "weir", def})
				}
			}
			return out, nil
		},
	})
	registerSystemTable(&systemTable{
		name: "pg_catalog.pg_tables", oid: 11006,
		cols: cols("schemaname", tName, "tablename", tName, "tableowner", tName, "tablespace", tName,
			"hasindexes", tBool, "hasrules", tBool, "hastriggers", tBool, "rowsecurity", tBool),
		rows: func(sc *systemCtx) ([][]types.Datum, error) {
			var out [][]types.Datum
			for _, r := range sc.relations() {
				if r.kind == "r" {
					out = append(out, []types.Datum{"public", r.name, "weir", nil, r.hasIdx, false, false, false})
				}
			}
			return out, nil
		},
	})
	registerSystemTable(&systemTable{
		name: "pg_catalog.pg_indexes", oid: 11007,
		cols: cols("schemaname", tName, "tablename", tName, "indexname", tName, "tablespace", tName, "indexdef", tText),
		rows: func(sc *systemCtx) ([][]types.Datum, error) {
			var out [][]types.Datum
			for _, o := range sc.objects {
				switch o.Kind {
				case sql.RelTable:
					out = append(out, []types.Datum{"public", o.Name, o.Name + "_pkey", nil, sc.e.indexDef(int64(o.ID) + pkIndexOIDOffset)})
				case sql.RelIndex:
					out = append(out, []types.Datum{"public", o.Table, o.Name, nil, sc.e.indexDef(int64(o.ID))})
				}
			}
			return out, nil
		},
	})
	// Catalogs clients join against that Weir has nothing to put in.
	for _, t := range []struct {
		name string
		oid  uint32
		cols []any
	}{
		{"pg_inherits", 2611, []any{"inhrelid", tOid, "inhparent", tOid, "inhseqno", tInt4, "inhdetachpending", tBool}},
		{"pg_attrdef", 2604, []any{"oid", tOid, "adrelid", tOid, "adnum", tInt2, "adbin", tText}},
		{"pg_policy", 3256, []any{"oid", tOid, "polname", tName, "polrelid", tOid, "polcmd", tChar, "polpermissive", tBool, "polroles", tText, "polqual", tText, "polwithcheck", tText}},
		{"pg_statistic_ext", 3381, []any{"oid", tOid, "stxrelid", tOid, "stxname", tName, "stxnamespace", tOid, "stxowner", tOid, "stxstattarget", tInt4, "stxkeys", tText, "stxkind", tText}},
		{"pg_publication", 6104, []any{"oid", tOid, "pubname", tName, "pubowner", tOid, "puballtables", tBool, "pubinsert", tBool, "pubupdate", tBool, "pubdelete", tBool, "pubtruncate", tBool, "pubviaroot", tBool}},
		{"pg_publication_rel", 6106, []any{"oid", tOid, "prpubid", tOid, "prrelid", tOid, "prqual", tText, "prattrs", tText}},
		{"pg_publication_namespace", 6237, []any{"oid", tOid, "pnpubid", tOid, "pnnspid", tOid}},
		{"pg_rewrite", 2618, []any{"oid", tOid, "rulename", tName, "ev_class", tOid, "ev_type", tChar, "ev_enabled", tChar, "is_instead", tBool, "ev_qual", tText, "ev_action", tText}},
		{"pg_trigger", 2620, []any{"oid", tOid, "tgrelid", tOid, "tgname", tName, "tgenabled", tChar, "tgisinternal", tBool}},
		{"pg_collation", 3456, []any{"oid", tOid, "collname", tName, "collnamespace", tOid}},
		{"pg_tablespace", 1213, []any{"oid", tOid, "spcname", tName, "spcowner", tOid, "spcacl", tText, "spcoptions", tText}},
		{"pg_extension", 3079, []any{"oid", tOid, "extname", tName, "extowner", tOid, "extnamespace", tOid, "extrelocatable", tBool, "extversion", tText}},
		{"pg_enum", 3501, []any{"oid", tOid, "enumtypid", tOid, "enumsortorder", tFloat4, "enumlabel", tName}},
		{"pg_proc", 1255, []any{"oid", tOid, "proname", tName, "pronamespace", tOid, "proowner", tOid, "prokind", tChar, "prorettype", tOid, "proargtypes", tText}},
		{"pg_sequence", 2224, []any{"seqrelid", tOid, "seqtypid", tOid, "seqstart", tInt8, "seqincrement", tInt8, "seqmax", tInt8, "seqmin", tInt8, "seqcache", tInt8, "seqcycle", tBool}},
		{"pg_foreign_table", 3118, []any{"ftrelid", tOid, "ftserver", tOid, "ftoptions", tText}},
		{"pg_partitioned_table", 3350, []any{"partrelid", tOid, "partstrat", tChar, "partnatts", tInt2}},
		{"pg_depend", 2608, []any{"classid", tOid, "objid", tOid, "objsubid", tInt4, "refclassid", tOid, "refobjid", tOid, "refobjsubid", tInt4, "deptype", tChar}},
	} {
		registerSystemTable(&systemTable{name: "pg_catalog." + t.name, oid: t.oid, cols: cols(t.cols...),
			rows: func(*systemCtx) ([][]types.Datum, error) { return nil, nil }})
	}
}

// pgType names a type in pg_type with its category.
type pgType struct {
	typ      types.Type
	name     string
	category string
}

var pgTypes = []pgType{
	{types.TBool, "bool", "B"}, {types.TInt2, "int2", "N"}, {types.TInt4, "int4", "N"}, {types.TInt8, "int8", "N"},
	{types.TFloat4, "float4", "N"}, {types.TFloat8, "float8", "N"}, {types.TNumeric, "numeric", "N"},
	{types.TText, "text", "S"}, {types.TVarchar, "varchar", "S"}, {types.TBytea, "bytea", "U"}, {types.TDate, "date", "D"},
	{types.TTimestamp, "timestamp", "D"}, {types.TTimestampTZ, "timestamptz", "D"}, {types.TInterval, "interval", "T"},
	{types.TJsonb, "jsonb", "U"}, {types.TOid, "oid", "N"}, {types.TName, "name", "S"}, {types.TChar, "char", "Z"},
	{types.TRegclass, "regclass", "N"}, {types.TRegtype, "regtype", "N"},
}

func typeByOID(oid int64) (types.Type, bool) {
	for _, t := range pgTypes {
		if int64(t.typ.OID()) == oid {
			return t.typ, true
		}
	}
	return types.Type{}, false
}

// viewDefinition is a view's query as pg_get_viewdef shows it.
func viewDefinition(o *object) types.Datum {
	if o == nil || o.SQL == "" {
		return nil
	}
	ps, err := o.parseStored()
	if err != nil || len(ps) != 1 {
		return o.SQL
	}
	text := ps[0].Text
	if i := strings.Index(strings.ToUpper(text), " AS "); i >= 0 {
		return " " + strings.TrimSpace(text[i+4:]) + ";"
	}
	return text
}
