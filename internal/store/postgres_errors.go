package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// pgClassify wraps err with ErrUnreachable when it means the database could not be reached
// or used at all: no connection, a connection lost mid-query, the server shutting down or
// refusing us, or our own timeout expiring. When the caller's ctx has ended, the error is
// the caller's doing and is returned as it is.
func pgClassify(ctx context.Context, err error) error {
	if err == nil || errors.Is(err, ErrUnreachable) || errors.Is(err, ErrNotFound) {
		return err
	}
	if ctx.Err() != nil {
		return err
	}
	if pgUnreachable(err) {
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	return err
}

// pgUnreachable reports whether err says the database is unavailable rather than that the
// request was wrong.
func pgUnreachable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), // connection_exception
			strings.HasPrefix(pe.Code, "28"),  // invalid authorization
			strings.HasPrefix(pe.Code, "57P"), // admin/crash shutdown, cannot connect now
			pe.Code == "53300",                // too_many_connections
			pe.Code == "3D000":                // invalid_catalog_name: no such database
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || pgconn.Timeout(err) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE)
}
