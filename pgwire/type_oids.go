package pgwire

import "github.com/weir-db/weir/types"

// oidUnknown is PostgreSQL's "unknown" type, and oidUnspecified what a
// client sends in Parse to leave a parameter's type to the server.
const (
	oidUnspecified = 0
	oidUnknown     = 705
	oidText        = 25
)

// typeOfOID maps the type OID a client declares for a parameter to a Weir
// type. PostgreSQL types Weir stores as another (bpchar and name as text)
// map to that type; OID 0 and unknown leave the choice to the server.
func typeOfOID(oid uint32) (types.Type, error) {
	switch oid {
	case oidUnspecified, oidUnknown:
		return types.TUnknown, nil
	case 16:
		return types.TBool, nil
	case 21:
		return types.TInt2, nil
	case 23:
		return types.TInt4, nil
	case 20:
		return types.TInt8, nil
	case 700:
		return types.TFloat4, nil
	case 701:
		return types.TFloat8, nil
	case 1700:
		return types.TNumeric, nil
	case oidText, 1042 /* bpchar */, 19 /* name */ :
		return types.TText, nil
	case 1043:
		return types.TVarchar, nil
	case 17:
		return types.TBytea, nil
	case 1082:
		return types.TDate, nil
	case 1114:
		return types.TTimestamp, nil
	case 1184:
		return types.TTimestampTZ, nil
	case 1186:
		return types.TInterval, nil
	case 3802:
		return types.TJsonb, nil
	}
	return types.Type{}, types.Errorf(types.CodeUndefinedObject, "type with OID %d does not exist", oid)
}

// paramOID is the OID a parameter of type t is described with: an
// unresolved parameter is text, which is how it is read.
func paramOID(t types.Type) uint32 {
	if t.Family == types.Unknown {
		return oidText
	}
	return t.OID()
}
