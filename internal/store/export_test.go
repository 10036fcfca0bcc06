package store

// KeepMigrationsForTest makes Open apply only the first n migrations of both backends, as
// an older build would, until the returned func restores them.
func KeepMigrationsForTest(n int) (restore func()) {
	sqlite, pg := migrations, pgMigrations
	migrations, pgMigrations = sqlite[:n], pg[:n]
	return func() { migrations, pgMigrations = sqlite, pg }
}
