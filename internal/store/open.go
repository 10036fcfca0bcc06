package store

import (
	"context"
	"errors"
	"strings"
)

// Open opens the store that dsn names: a postgres:// or postgresql:// URL selects
// PostgreSQL, anything else is the path of an embedded SQLite file (see OpenSQLite).
func Open(ctx context.Context, dsn string) (Store, error) {
	if dsn == "" {
		return nil, errors.New("open store: empty location (want a file path or postgres:// URL)")
	}
	lower := strings.ToLower(dsn)
	if strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://") {
		return openPostgres(ctx, dsn)
	}
	s, err := OpenSQLite(ctx, dsn)
	if err != nil {
		return nil, err // not s: a nil *SQLite in a Store interface would not compare equal to nil
	}
	return s, nil
}
