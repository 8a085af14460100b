package engine

import (
	"github.com/weir-db/weir/pgwire"
	"github.com/weir-db/weir/sql"
	"github.com/weir-db/weir/types"
)

// Roles are catalog entries (kind kindUser) holding PostgreSQL's stored
// SCRAM-SHA-256 secret, never the password.

var _ pgwire.Users = (*Engine)(nil)

func (e *Engine) createUser(n *sql.CreateUser) error {
	e.ddlMu.Lock()
	defer e.ddlMu.Unlock()
	key := userPrefix + n.Name
	if _, ok := e.cat.get(key); ok || n.Name == "weir" {
		return types.Errorf(types.CodeDuplicateObject, "role \"%s\" already exists", n.Name)
	}
	o := &object{Name: key, Kind: kindUser, WatermarkCol: -1, KeyCol: -1}
	if n.Password != nil {
		o.Secret = pgwire.NewSCRAMSecret(*n.Password).String()
	}
	return e.commitNewObject(o, nil)
}

func (e *Engine) dropUser(n *sql.DropUser) error {
	e.ddlMu.Lock()
	defer e.ddlMu.Unlock()
	o, ok := e.cat.get(userPrefix + n.Name)
	if !ok {
		if n.IfExists {
			return nil
		}
		return types.Errorf(types.CodeUndefinedObject, "role \"%s\" does not exist", n.Name)
	}
	return e.dropObject(o)
}

// SCRAMSecret implements pgwire.Users for SCRAM-SHA-256 authentication.
func (e *Engine) SCRAMSecret(user string) (pgwire.SCRAMSecret, bool) {
	o, ok := e.cat.get(userPrefix + user)
	if !ok || o.Secret == "" {
		return pgwire.SCRAMSecret{}, false
	}
	s, err := pgwire.ParseSCRAMSecret(o.Secret)
	if err != nil {
		e.cfg.Logf("role %s has a corrupt secret: %v", user, err)
		return pgwire.SCRAMSecret{}, false
	}
	return s, true
}
