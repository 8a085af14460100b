// Package encoding holds Weir's memcomparable key encoding: byte strings
// whose lexicographic order is the SQL order of the values they encode, so
// Pebble range scans follow ORDER BY and window state can be range-deleted.
//
// Each value starts with a marker byte. NULL sorts first in ascending keys
// (marker 0x00); every non-NULL value has a marker above it. Descending
// values are encoded by inverting every byte of the ascending form.
//
//	value      marker  payload
//	NULL       0x00    -
//	false      0x10    -
//	true       0x11    -
//	integer    0x20    8 bytes big-endian, sign bit flipped
//	float      0x30    8 bytes: IEEE bits, sign flipped (negatives: all bits flipped)
//	bytes      0x40    bytes with 0x00 escaped as 0x00 0xff, ended by 0x00 0x01
//
// The package imports no other Weir package.
package encoding
